/* SPDX-License-Identifier: MIT */
/*
 * Many small pieces of target memory (patch sites, function entries) read
 * and written in few system calls: pieces close together share one run, so
 * 1000 sites cost a few dozen preads and pwrites while every thread waits,
 * not 2000 of each.
 */
#ifndef XS_CODE_RUNS_H
#define XS_CODE_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "target/target.h"

struct xs_span {
	uint64_t addr;
	size_t len;
};

struct xs_runs;

/* Runs of target memory covering every span (any order, overlaps allowed),
 * their buffers allocated and faulted in, not read yet. */
int xs_runs_new(const struct xs_span *spans, size_t n, struct xs_runs **out);
/* Read every run: through t when attached (t non-NULL), else from pid's memory. */
int xs_runs_fill(struct xs_runs *r, pid_t pid, struct xs_target *t);
/*
 * Before the stop, so that the stop need not look at each span again: keep
 * a copy of what every run holds (read with xs_runs_fill), then change the
 * buffers into what they should hold. In the stop, xs_runs_reread reads the
 * runs again, aside: 1 when each still holds what was kept (the buffers are
 * ready to write), 0 when one does not, or a negative errno. It leaves the
 * buffers alone, so it may be called again; xs_runs_take_reread then puts
 * what it read last into them, to be changed again span by span.
 */
int xs_runs_remember(struct xs_runs *r);
int xs_runs_reread(struct xs_runs *r, struct xs_target *t);
void xs_runs_take_reread(struct xs_runs *r);
/*
 * Code pages are shared with their file (or a parent's) until first written,
 * and the first write copies each one (a page fault in our name). Before
 * the stop, write one byte of each page of the runs back as it is: the copy
 * is made while the threads run, and the code does not change.
 */
int xs_runs_own_pages(struct xs_target *t, const struct xs_runs *r);
/* Our copy of target bytes [addr, addr + len): inside one run, or NULL. */
unsigned char *xs_runs_at(struct xs_runs *r, uint64_t addr, size_t len);
/* Write every run back, in address order; after_first(arg) runs after the first. */
int xs_runs_write(struct xs_target *t, const struct xs_runs *r, void (*after_first)(const char *),
                  const char *arg);
void xs_runs_free(struct xs_runs *r);

#endif
