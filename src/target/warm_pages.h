/* SPDX-License-Identifier: MIT */
/*
 * Target pages the stop will read or write, listed while the process runs
 * and read once just before its threads are interrupted: the top pages of
 * every thread's stack (the stack check's reads), the payload's records and
 * its patch sites. On a VM the first access to a target page by a process
 * costs microseconds more than one soon after another; this moves those
 * first accesses out of the pause. Only a hint: what the stop reads and
 * writes does not depend on it.
 */
#ifndef XS_WARM_PAGES_H
#define XS_WARM_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_pages {
	uint64_t *addr; /* page addresses in the target */
	size_t n, cap;
};

/*
 * Add the resident pages among the top few of each thread stack of pid (the
 * main stack, and every anonymous mapping right above a PROT_NONE guard, as
 * glibc and musl make them). Best effort: an unreadable maps or pagemap
 * adds nothing, never an error.
 */
void xs_pages_add_stacks(pid_t pid, struct xs_pages *p);
/* Add the pages of [addr, addr + len); false when the list is full. */
bool xs_pages_add_range(struct xs_pages *p, uint64_t addr, size_t len);
/* Read a few bytes of each page of pid; how many pages could be read. */
size_t xs_pages_touch(pid_t pid, const struct xs_pages *p);
/*
 * The same for our own memory that the stop hands to the kernel (buffers
 * read into, written from): the kernel copies one byte of each page of
 * [buf, buf + len) onto itself now. On VMs with shadow paging the kernel's
 * first access to a page of ours is slow even after our own code wrote it
 * (the kernel's view of it is built apart). Best effort.
 */
void xs_pages_touch_ours(const void *buf, size_t len);
/* len zeroed bytes, faulted in by us and by the kernel: memory the stop may
 * use without a page fault. NULL when out of memory. */
void *xs_alloc_ours(size_t len);
void xs_pages_free(struct xs_pages *p);

#endif
