/* SPDX-License-Identifier: MIT */
/*
 * What an action's stop reads and writes ahead: the pages it will touch,
 * read just before it; what it reads while its threads leave their CPUs;
 * and the registry check (and a lone apply's records) before it interrupts any.
 */
#include "engine/stop_ahead.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "engine/engine_int.h"

/* An apply's records as they are written: before the sites, which they describe. */
void xs_sites_mark_applied(struct xs_sites *x)
{
	for (uint32_t i = 0; i < x->n; i++)
		x->fs[i].applied = 1;
}

static void warm_records(struct xs_session *s, int slot)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	xs_pages_add_range(&s->warm, p->fstate_addr, p->nfuncs * sizeof(struct xs_fstate));
}

void xs_warm_list(struct xs_session *s, const struct xs_pages *stacks, const int *revert,
                  size_t nrevert, int apply, int loading, const struct xs_sites *sites)
{
	const char *env = getenv("XSPLICE_WARM");

	if (env && !strcmp(env, "0"))
		return;
	for (size_t i = 0; i < stacks->n; i++)
		xs_pages_add_range(&s->warm, stacks->addr[i], 1);
	/* The header and the slots a commit writes. */
	xs_pages_add_range(&s->warm, s->state_addr,
	                   offsetof(struct xs_state, payloads) +
	                       s->span * sizeof(s->state->payloads[0]));
	for (size_t i = 0; i < nrevert; i++)
		warm_records(s, revert[i]);
	if (apply >= 0 && apply != loading) /* a load's are not mapped yet */
		warm_records(s, apply);
	for (uint32_t i = 0; sites && i < sites->n; i++)
		xs_pages_add_range(&s->warm, sites->fs[i].old_addr + sites->fs[i].patch_offset,
		                   sites->fs[i].len);
}

void xs_read_in_wait(struct xs_target *t, void *arg)
{
	struct xs_in_wait *w = arg;

	xs_unwinder_snap_take(w->u, t);
	if (w->sites)
		xs_sites_reread_stopped(t, w->sites);
}

/*
 * Called once every thread is seized and before any is interrupted: no other
 * run can change the registry now. If it is still as planned (same version,
 * no journal), the stop need not read its header again, and a lone apply's
 * records go out here instead of in the stop (104 KiB with 1000
 * functions). Records of a payload that is not APPLIED
 * are read by no one, so a run killed after this has changed nothing that
 * matters.
 */
void xs_check_before_stop(struct xs_target *t, void *arg)
{
	const struct xs_ahead *a = arg;
	struct xs_sites *x = a->sites;
	unsigned char head[offsetof(struct xs_state, payloads)];
	uint32_t version, action;

	if (x && x->edited && xs_runs_own_pages(t, x->code))
		xs_error_clear(); /* the stop's write then copies the pages */
	if (xs_target_read(t, a->state_addr, head, sizeof(head))) {
		xs_error_clear(); /* the stop reads it again and says why */
		return;
	}
	memcpy(&version, head + offsetof(struct xs_state, version), sizeof(version));
	memcpy(&action, head + offsetof(struct xs_state, journal.action), sizeof(action));
	if (version != a->version || action != XS_ACTION_NONE)
		return;
	a->planned->head_unchanged = true;
	if (!a->fstate_addr)
		return;
	xs_sites_mark_applied(x);
	if (xs_target_write(t, a->fstate_addr, x->fs, x->n * sizeof(*x->fs)))
		xs_error_clear(); /* written in the stop then */
	else
		x->records_written = true;
	xs_crash_point("apply-after-prewrite");
}
