/* SPDX-License-Identifier: MIT */
/*
 * The top of every stopped thread's stack, read while the stop still reads
 * registers. With many threads the stop spends about as long reading tops
 * as reading registers, one after the other on one CPU while the other
 * CPU idles: every target thread
 * is stopped. So each thread's top is queued as soon as its registers are
 * known, and a helper thread of ours reads the queue on that other CPU. The
 * walks take what is read; a top the helper has not reached yet is read by
 * the caller itself, so nothing ever waits on a helper that is slow to wake.
 *
 * One stop's worth: a thread index is queued once. Tops of later stops (the
 * quiescence retries) are the unwinder's business (unwind.c reads them).
 */
#ifndef XS_STACK_TOPS_H
#define XS_STACK_TOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/page.h"
#include <sys/types.h>

#define XS_STACK_TOP 2048 /* bytes read at most from (about) each thread's SP up */
/*
 * A top stops at the end of its SP's page when at least this much of the
 * page is left: what a readv costs is mostly the pages it touches, and
 * most walks need a few hundred bytes. A walk that
 * needs more reads on page by page.
 */
#define XS_STACK_TOP_MIN 256
#define XS_STACK_TOP_PAGE XS_PAGE_MIN /* with larger pages the rule still holds */

/* A thread's stack from (about) its SP up: most walks read nothing else. */
struct xs_stack_top {
	uint64_t addr;
	size_t len; /* 0: not read */
	unsigned char data[XS_STACK_TOP];
};

#define XS_TOPS_BATCH 64 /* tops per process_vm_readv */

/* A top at addr lies inside the address space (else it is never read). */
static inline bool xs_stack_top_fits(uint64_t addr)
{
	return addr <= UINT64_MAX - XS_STACK_TOP;
}

/* Bytes to read for a top at addr: to its page's end, or XS_STACK_TOP. */
static inline size_t xs_stack_top_len(uint64_t addr)
{
	size_t left = XS_STACK_TOP_PAGE - (size_t)(addr % XS_STACK_TOP_PAGE);

	return left >= XS_STACK_TOP_MIN && left < XS_STACK_TOP ? left : XS_STACK_TOP;
}

/*
 * Read tops[which[0]], ... tops[which[n - 1]] of pid (n at most
 * XS_TOPS_BATCH), each from its addr, in one process_vm_readv: len becomes
 * the bytes read (xs_stack_top_len) for each top read, 0 for the others
 * (unreadable, or not fitting). Any thread of ours may call it.
 */
void xs_stack_tops_read(pid_t pid, struct xs_stack_top *tops, const size_t *which, size_t n);

struct xs_tops;

/*
 * For up to cap threads of pid. With helper, a thread of ours that sleeps
 * until the first top is queued (every signal blocked in it). NULL: no memory.
 */
struct xs_tops *xs_tops_new(pid_t pid, size_t cap, bool helper);

/* Thread i (tid, in era) is stopped; its top is at addr. Ignored once closed,
 * past cap, or when i was queued already. */
void xs_tops_queue(struct xs_tops *p, size_t i, pid_t tid, uint64_t addr, unsigned long era);

/* Thread i's top as queued with tid, addr and era, reading it now if nobody
 * has; NULL when it was not queued so, or could not be read. */
const struct xs_stack_top *xs_tops_get(struct xs_tops *p, size_t i, pid_t tid, uint64_t addr,
                                       unsigned long era);

/* No more queueing: the helper goes back to sleep, for good. */
void xs_tops_close(struct xs_tops *p);

/* Tops read by the helper, and by callers of xs_tops_get. */
void xs_tops_counts(const struct xs_tops *p, size_t *by_helper, size_t *by_caller);

void xs_tops_free(struct xs_tops *p);

#endif
