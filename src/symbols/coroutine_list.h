/* SPDX-License-Identifier: MIT */
/*
 * A process's coroutine list and its ucontext imports, looked up in its
 * objects before the stop; the stack check itself is engine/coroutines.h.
 */
#ifndef XS_COROUTINE_LIST_H
#define XS_COROUTINE_LIST_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Before the stop: the runtime address of pid's xsplice_coroutines (0: it
 * has none). Prints a warning line when pid links makecontext/swapcontext
 * without the list. -errno only when the process cannot be looked at.
 */
int xs_coroutines_find(pid_t pid, uint64_t *list);

/* `xsplice build`: a warning line when the executable at path links them. */
void xs_coroutines_warn_file(const char *path);

#endif
