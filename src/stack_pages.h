/* SPDX-License-Identifier: MIT */
/*
 * The pages a stack check will read first: the top pages of every thread's
 * stack, found while the process runs and read once just before its threads
 * are interrupted. On a VM the first read of a target page by a process is
 * several times slower than a read soon after another; this moves those
 * first reads out of the pause. Only a hint: what the stack check reads in
 * the stop does not depend on it.
 */
#ifndef XS_STACK_PAGES_H
#define XS_STACK_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_pages {
	uint64_t *addr; /* page addresses in the target */
	size_t n;
};

/*
 * The resident pages among the top few of each thread stack of pid (the
 * main stack, and every anonymous mapping right above a PROT_NONE guard, as
 * glibc and musl make them). Best effort: an unreadable maps or pagemap
 * gives an empty list, never an error.
 */
void xs_stack_pages(pid_t pid, struct xs_pages *out);
/* Read a few bytes of each page of pid; how many pages could be read. */
size_t xs_pages_touch(pid_t pid, const struct xs_pages *p);
void xs_pages_free(struct xs_pages *p);

#endif
