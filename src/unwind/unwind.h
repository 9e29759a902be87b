/* SPDX-License-Identifier: MIT */
/*
 * Stack unwinding of stopped threads with DWARF CFI (elfutils libdwfl), for
 * the safety check. Payload code in the target has no file behind it: its
 * relocated .eh_frame is registered with xs_unwinder_add_code.
 */
#ifndef XS_UNWIND_H
#define XS_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "target/target.h"

struct xs_unwinder;

/* Report the process's modules (before stopping it: that is the slow part). */
int xs_unwinder_new(pid_t pid, struct xs_unwinder **out);

/* Code loaded by us: [start, end) unwound with the .eh_frame bytes `eh`
 * (already relocated) that live at eh_addr in the target. Bytes are copied. */
int xs_unwinder_add_code(struct xs_unwinder *u, uint64_t start, uint64_t end, uint64_t eh_addr,
                         const unsigned char *eh, size_t eh_len);

struct xs_frame {
	uint64_t pc; /* frame 0: the thread's PC; then return addresses */
	uint64_t sp; /* stack pointer in that frame (after the return, for k > 0) */
};

/*
 * The target's xs_regs_read_fn (arg: the unwinder): in the first stop, each
 * thread's stack top is read as soon as its registers are known, on another
 * CPU (stack_tops.h). Call xs_unwinder_stop_walked once that stop's walks
 * are done: the helper thread then sleeps.
 */
void xs_unwinder_regs_read(void *arg, size_t i, pid_t tid, const xs_regs *r, unsigned long era);
void xs_unwinder_stop_walked(struct xs_unwinder *u);

/*
 * A process with few stack pages (stack_snap.h) has them read in the wait
 * for its stopped threads' registers: plan while it runs, take in the
 * target's all_stopped hook. The walks of that era take their tops from it.
 */
struct xs_pages;
int xs_unwinder_snap_plan(struct xs_unwinder *u, const struct xs_pages *stacks);
void xs_unwinder_snap_take(struct xs_unwinder *u, struct xs_target *t);
/* Stack tops the walks took from such a read, all told. */
size_t xs_unwinder_snap_tops(const struct xs_unwinder *u);

/*
 * Unwind a stopped thread (t->threads[i], registers as saved there), up to
 * max frames. -EIO (message names tid and PC) when a frame cannot be
 * unwound: callers treat that as unsafe rather than guess.
 */
int xs_unwind_thread(struct xs_unwinder *u, struct xs_target *t, size_t i, struct xs_frame *frames,
                     size_t max, size_t *n);

/*
 * The same walk from registers regs (a coroutine's saved context), with
 * thread i's identity: memory is read afresh, not from its stack top. The
 * walk also ends, done, at a frame (not the first) whose stack pointer lies
 * in [entry_lo, entry_hi] and whose PC .eh_frame has no row for: the return
 * into the C library's start routine at the top of the coroutine's stack
 * (entry_hi 0: no such place).
 */
int xs_unwind_regs(struct xs_unwinder *u, struct xs_target *t, size_t i, const xs_regs *regs,
                   uint64_t entry_lo, uint64_t entry_hi, struct xs_frame *frames, size_t max,
                   size_t *n);

/*
 * Before the stop: look up now the CFI rows the walks in it will likely
 * need, so that they find them kept (a lookup in libdw costs microseconds,
 * while every thread waits). learn_pc: a thread's PC known ahead (one
 * blocked in a system call), and the rows around it. learn_words: words of
 * a stack; each that points into code may be a return address, so the row
 * of its call and the rows around it (a thread may stop in that function
 * itself). Bounded; best effort.
 */
void xs_unwinder_learn_pc(struct xs_unwinder *u, uint64_t pc);
void xs_unwinder_learn_words(struct xs_unwinder *u, const uint64_t *words, size_t n);
/* Both, for pid's blocked threads and for the stack pages listed (see
 * xs_pages_add_stacks): unwind_ahead.c. */
void xs_unwind_ahead(struct xs_unwinder *u, pid_t pid, const struct xs_pages *stacks);
/* A CFI row for pc is kept: a walk through pc looks nothing up. Besides what
 * is learnt ahead, xs_unwinder_new keeps the vDSO's rows and every object's
 * PLT rows (a thread calling a library in a loop is often stopped there). */
bool xs_unwinder_knows_pc(const struct xs_unwinder *u, uint64_t pc);
/* Whether the code at pc, as a thread's own PC, has a CFI row (looked up
 * and kept if not yet; .debug_frame only where the object's own file has
 * one): a thread stopped where there is none (glibc's clone3 after its
 * system call, say) cannot be unwound. */
bool xs_unwinder_has_cfi(struct xs_unwinder *u, uint64_t pc);
/* Lookups made in libdw so far (ahead and in walks). */
size_t xs_unwinder_lookups(const struct xs_unwinder *u);
/* Stack pages read one by one, past what the stack tops held. */
size_t xs_unwinder_page_reads(const struct xs_unwinder *u);

/* Stacks walked so far by frame rules alone, and by libdwfl (see frame_rule.h). */
void xs_unwinder_counts(const struct xs_unwinder *u, size_t *by_rules, size_t *by_dwfl);

/* Stack tops read ahead by the helper, and by the walking thread itself. */
void xs_unwinder_tops_counts(const struct xs_unwinder *u, size_t *by_helper, size_t *by_us);

void xs_unwinder_free(struct xs_unwinder *u);

#endif
