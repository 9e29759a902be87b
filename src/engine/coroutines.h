/* SPDX-License-Identifier: MIT */
/*
 * Coroutines (ucontext: makecontext/swapcontext) for the stack check. A
 * suspended coroutine's stack is no thread's: without help the check cannot
 * see a function suspended there. A process may list its coroutines in
 * xsplice_coroutines (include/xsplice/coroutines.h); each listed context is
 * unwound like a thread. A process that links makecontext or swapcontext
 * without such a list gets a warning.
 */
#ifndef XS_COROUTINES_H
#define XS_COROUTINES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind/unwind.h"

struct xs_range;

/* A listed coroutine the stack check stopped at. */
struct xs_coroutine_hit {
	uint32_t index;               /* its entry in the list */
	uint64_t ctx;                 /* its ucontext_t */
	uint64_t pc;                  /* its frame in range; its resume PC when not unwound */
	const struct xs_range *range; /* NULL: it could not be unwound */
};

/*
 * In the stop: walk every suspended coroutine of the list at `list` (read
 * through t: hostile input, bounded) with the unwinder; frames is scratch
 * space for max frames. 1 with *hit when one is in a range of r (sorted) or
 * cannot be unwound, 0 when none is, -errno (refused, message naming the
 * list) when the list cannot be read or is malformed.
 */
int xs_coroutines_check(struct xs_target *t, struct xs_unwinder *u, uint64_t list,
                        const struct xs_range *r, size_t n, struct xs_frame *frames, size_t max,
                        struct xs_coroutine_hit *hit);

#endif
