/* SPDX-License-Identifier: MIT */
/*
 * The top stack pages of a process with one or two threads, read while its
 * threads leave their CPUs. A thread reports its stop before it is off its
 * CPU, and reading its registers waits for that; the stack its walk needs,
 * once read after the registers, is read in that wait instead. Its SP is not known yet, so every resident page of the top
 * few of each stack is read (warm_pages.h lists them while it runs).
 *
 * Valid only in the era it was taken in: a stopped thread writes no memory
 * of its own, but any thread that ran since may have.
 */
#ifndef XS_STACK_SNAP_H
#define XS_STACK_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/page.h"

struct xs_pages;
struct xs_target;

#define XS_SNAP_PAGES 8 /* two threads' top pages; more would outlast the wait */
#define XS_SNAP_PAGE                                                                               \
	XS_PAGE_MIN /* bytes kept of each page warm_pages.h lists (all of it with 4 KiB pages) */

struct xs_stack_snap {
	uint64_t addr[XS_SNAP_PAGES]; /* page addresses, ascending */
	size_t n;                     /* 0: nothing to read */
	unsigned char *data;          /* n pages, faulted in ahead */
	uint64_t read;                /* bit k: page k was read */
	unsigned long era;            /* when read; 0: never */
};

/* Keep the pages of stacks (a copy) if there are at most XS_SNAP_PAGES; else
 * none. While the process runs. -ENOMEM: out of memory (nothing kept). */
int xs_snap_plan(struct xs_stack_snap *s, const struct xs_pages *stacks);
/* Read them from t now, in t's era. Best effort: a page not read is missed. */
void xs_snap_take(struct xs_stack_snap *s, struct xs_target *t);
/* Page at addr (page-aligned) as read in era, or NULL. */
const unsigned char *xs_snap_page(const struct xs_stack_snap *s, uint64_t addr, unsigned long era);
void xs_snap_free(struct xs_stack_snap *s);

#endif
