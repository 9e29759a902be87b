/* SPDX-License-Identifier: MIT */
/*
 * Coroutines for the stack check: in the stop, unwind every suspended context
 * of the process's xsplice_coroutines list (include/xsplice/coroutines.h,
 * found before the stop: symbols/coroutine_list.c) from its saved registers
 * as if it were a thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xsplice/coroutines.h>

#include "arch.h"
#include "engine/coroutines.h"
#include "engine/engine_int.h"
#include "common/error.h"

/* --- in the stop ----------------------------------------------------------------- */

/* A context whose stack holds a thread's stack pointer is running there: that
 * thread's walk covers it, and its saved registers are stale. */
static bool running(const struct xs_target *t, uint64_t stack, uint64_t len)
{
	for (size_t i = 0; len && i < t->nthreads; i++) {
		uint64_t sp = xs_arch_sp(&t->threads[i].regs);

		if (sp >= stack && sp - stack <= len)
			return true;
	}
	return false;
}

/* Room at the top of a coroutine's stack that makecontext fills (the return
 * into the C library's start routine, uc_link, the alignment). */
#define ENTRY_ROOM 128

/* 1 when coroutine k (its context at ctx) is in a range or cannot be unwound. */
static int check_one(struct xs_target *t, struct xs_unwinder *u, uint32_t k, uint64_t ctx,
                     const struct xs_range *r, size_t n, struct xs_frame *frames, size_t max,
                     struct xs_coroutine_hit *hit)
{
	unsigned char uc[1024];
	size_t len = xs_arch_ucontext_len(), nf = 0, lend = 0;
	uint64_t stack, stack_len;
	xs_regs regs;
	int rc;

	if (len > sizeof(uc))
		return xs_fail(-EOVERFLOW, "pid %d: a ucontext_t of %zu bytes", t->pid, len);
	rc = xs_target_read(t, ctx, uc, len);
	if (rc)
		return xs_fail_override(rc,
		                        "pid %d: " XSPLICE_COROUTINES_SYMBOL " entry %" PRIu32
		                        ": cannot read its ucontext_t at 0x%" PRIx64,
		                        t->pid, k, ctx);
	xs_arch_ucontext_regs(uc, &regs, &stack, &stack_len);
	if (running(t, stack, stack_len))
		return 0;
	*hit = (struct xs_coroutine_hit){ .index = k, .ctx = ctx, .pc = xs_arch_pc(&regs) };
	while (lend < t->nthreads && !t->threads[lend].stopped)
		lend++; /* the walk borrows a stopped thread's identity */
	if (stack_len >= 2 * ENTRY_ROOM && stack + stack_len > stack)
		rc = xs_unwind_regs(u, t, lend, &regs, stack + stack_len - ENTRY_ROOM,
		                    stack + stack_len, frames, max, &nf);
	else
		rc = xs_unwind_regs(u, t, lend, &regs, 0, 0, frames, max, &nf);
	if (rc) {
		xs_debug("pid %d: coroutine %" PRIu32 " (ucontext_t at 0x%" PRIx64
		         ", stack 0x%" PRIx64 "+0x%" PRIx64 ", last frame sp 0x%" PRIx64 "): %s",
		         t->pid, k, ctx, stack, stack_len, nf ? frames[nf - 1].sp : 0,
		         xs_error_message());
		xs_error_clear();
		return 1;
	}
	for (size_t f = 0; f < nf; f++) {
		/* Every frame of a suspended coroutine is a return address. */
		const struct xs_range *in = xs_ranges_find(frames[f].pc - 1, r, n);

		if (in) {
			hit->range = in;
			hit->pc = frames[f].pc;
			return 1;
		}
	}
	return 0;
}

int xs_coroutines_check(struct xs_target *t, struct xs_unwinder *u, uint64_t list,
                        const struct xs_range *r, size_t n, struct xs_frame *frames, size_t max,
                        struct xs_coroutine_hit *hit)
{
	struct xsplice_coroutines head;
	uint64_t *ctx;
	int rc;

	if (!list || !t->nthreads)
		return 0;
	rc = xs_target_read(t, list, &head, sizeof(head));
	if (rc)
		return xs_fail_override(
		    rc, "pid %d: cannot read " XSPLICE_COROUTINES_SYMBOL " at 0x%" PRIx64, t->pid,
		    list);
	if (head.magic != XSPLICE_COROUTINES_MAGIC || head.version != XSPLICE_COROUTINES_VERSION ||
	    head.count > XSPLICE_COROUTINES_MAX)
		return xs_fail(-EINVAL,
		               "pid %d: " XSPLICE_COROUTINES_SYMBOL " at 0x%" PRIx64
		               ": magic 0x%08" PRIx32 " version %" PRIu32 " count %" PRIu32
		               ": not a list of version %d of at most %d coroutines",
		               t->pid, list, head.magic, head.version, head.count,
		               XSPLICE_COROUTINES_VERSION, XSPLICE_COROUTINES_MAX);
	if (!head.count)
		return 0;
	ctx = malloc(head.count * sizeof(*ctx));
	if (!ctx)
		return xs_fail(-ENOMEM, "pid %d: no memory for %" PRIu32 " coroutines", t->pid,
		               head.count);
	rc = xs_target_read(t, (uintptr_t)head.ctx, ctx, head.count * sizeof(*ctx));
	if (rc)
		rc = xs_fail_override(rc,
		                      "pid %d: " XSPLICE_COROUTINES_SYMBOL
		                      ": cannot read its %" PRIu32 " entries at 0x%" PRIxPTR,
		                      t->pid, head.count, (uintptr_t)head.ctx);
	for (uint32_t k = 0; !rc && k < head.count; k++)
		if (ctx[k])
			rc = check_one(t, u, k, ctx[k], r, n, frames, max, hit);
	free(ctx);
	return rc;
}
