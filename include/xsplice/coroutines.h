/* SPDX-License-Identifier: MIT */
/*
 * xsplice coroutine list: how a program that runs code on stacks of its own
 * (makecontext/swapcontext) shows them to the stack check. A thread's stack
 * is found through its registers; a suspended coroutine's stack is found
 * only through its saved context. A program that defines (and exports, or
 * keeps in its executable's .symtab) a global
 *
 *     struct xsplice_coroutines xsplice_coroutines = XSPLICE_COROUTINES_INIT(ctx, N);
 *
 * where ctx is an array of N pointers to the ucontext_t of its coroutines,
 * has every listed context unwound like a thread each time apply, revert or
 * replace stops it: a coroutine suspended in a function being replaced makes
 * the action busy. A NULL entry is skipped, and so is a context whose stack
 * (uc_stack, which makecontext needs set) holds a thread's stack pointer: that
 * coroutine is running and is checked as that thread. Keep the list current
 * (set an entry to NULL when its coroutine ends: a stale context cannot be
 * unwound, and the stack check then refuses, busy). Only count entries are
 * read, at most XSPLICE_COROUTINES_MAX.
 * This file must stay usable from C without any other xsplice header.
 */
#ifndef XSPLICE_COROUTINES_H
#define XSPLICE_COROUTINES_H

#include <stdint.h>

#define XSPLICE_COROUTINES_SYMBOL "xsplice_coroutines"
#define XSPLICE_COROUTINES_MAGIC 0x726f6378u /* "xcor" */
#define XSPLICE_COROUTINES_VERSION 1
#define XSPLICE_COROUTINES_MAX 4096

struct xsplice_coroutines {
	uint32_t magic;    /* XSPLICE_COROUTINES_MAGIC */
	uint32_t version;  /* XSPLICE_COROUTINES_VERSION */
	uint32_t count;    /* entries of ctx to read */
	uint32_t reserved; /* 0 */
	void *const *ctx;  /* count pointers to ucontext_t (NULL: none there) */
};

#define XSPLICE_COROUTINES_INIT(array, n)                                                          \
	{                                                                                          \
		XSPLICE_COROUTINES_MAGIC, XSPLICE_COROUTINES_VERSION, (n), 0,                      \
		    (void *const *)(array)                                                         \
	}

#endif
