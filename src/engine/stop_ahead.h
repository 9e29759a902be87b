/* SPDX-License-Identifier: MIT */
/* What an action's stop reads and writes ahead (stop_ahead.c); the engine's only. */
#ifndef XS_STOP_AHEAD_H
#define XS_STOP_AHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/patch.h"
#include "state/session.h"
#include "target/warm_pages.h"
#include "unwind/unwind.h"

/* What the moment before the stop needs: the plan's registry, a lone apply's records. */
struct xs_ahead {
	struct xs_session *planned; /* its registry copy is the one the stop takes over */
	struct xs_sites *sites;     /* a lone apply's or revert's; NULL: neither */
	uint64_t state_addr;
	uint64_t fstate_addr; /* a lone apply's records; 0: not a lone apply */
	uint32_t version;
};

/* The before_stop hook (target.h), arg a struct xs_ahead: the stop need not
 * read the registry header again if it is still as planned. */
void xs_check_before_stop(struct xs_target *t, void *arg);

/* What the stop reads while its threads leave their CPUs (target.h's
 * all_stopped hook): a lone action's code runs, and a small process's stacks. */
struct xs_in_wait {
	struct xs_sites *sites; /* NULL: not a lone apply or revert */
	struct xs_unwinder *u;
};
/* The all_stopped hook, arg a struct xs_in_wait. */
void xs_read_in_wait(struct xs_target *t, void *arg);

/* An apply's records as they are written: before the sites, which they describe. */
void xs_sites_mark_applied(struct xs_sites *x);

/* What the stop will read and write, read just before it (warm_pages.h): the
 * stacks, the registry, the records of the payloads reverted and applied (not
 * a loading one's: not mapped yet), and a lone action's sites (or NULL). */
void xs_warm_list(struct xs_session *s, const struct xs_pages *stacks, const int *revert,
                  size_t nrevert, int apply, int loading, const struct xs_sites *sites);

#endif
