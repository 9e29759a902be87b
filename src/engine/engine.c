/* SPDX-License-Identifier: MIT */
/*
 * The actions on loaded payloads: CHECK, APPLY, REVERT, REPLACE, LOAD (the
 * payload placed and applied in one stop), and the read-only views; UNLOAD is
 * unload.c. act() reads as its steps: plan before the stop, hook the stop,
 * stop and place, wait until safe, switch and commit, release.
 */
#include "engine/engine.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "engine/busy_report.h"
#include "engine/coroutines.h"
#include "symbols/coroutine_list.h"
#include "engine/engine_int.h"
#include "common/error.h"
#include "symbols/objects.h"
#include "engine/patch.h"
#include "engine/site_view.h"
#include "engine/stop_ahead.h"
#include "state/state_check.h"
#include "engine/upload.h"

enum op { OP_CHECK, OP_APPLY, OP_REVERT, OP_REPLACE, OP_UNLOAD };

#define BIT(s) (1u << (s))
/* The seed's transition table, plus REPLACE; UNLOAD never while applied. */
static const struct {
	const char *name;
	unsigned from;
	const char *from_text;
} ops[] = {
	[OP_CHECK] = { "check", BIT(XS_STATUS_LOADED) | BIT(XS_STATUS_CHECKED),
	               "LOADED or CHECKED" },
	[OP_APPLY] = { "apply", BIT(XS_STATUS_CHECKED) | BIT(XS_STATUS_REVERTED),
	               "CHECKED or REVERTED" },
	[OP_REVERT] = { "revert", BIT(XS_STATUS_APPLIED), "APPLIED" },
	[OP_REPLACE] = { "replace with", BIT(XS_STATUS_CHECKED) | BIT(XS_STATUS_REVERTED),
	                 "CHECKED or REVERTED" },
	[OP_UNLOAD] = { "unload",
	                BIT(XS_STATUS_LOADED) | BIT(XS_STATUS_CHECKED) | BIT(XS_STATUS_REVERTED),
	                "LOADED, CHECKED or REVERTED" },
};

static int allowed(struct xs_session *s, int slot, enum op op)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	if (ops[op].from & BIT(p->status))
		return 0;
	return xs_fail(-EINVAL, "payload %s is %s: cannot %s it (allowed when %s)", p->id,
	               xs_status_name(p->status), ops[op].name, ops[op].from_text);
}

int xs_funcs_read(struct xs_session *s, int slot, struct xsplice_func *funcs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	size_t len = p->nfuncs * sizeof(*funcs);

	return xs_session_read(s, p->funcs_addr, funcs, len);
}

void xs_func_read_name(struct xs_session *s, const struct xsplice_func *f, char *buf, size_t len)
{
	int rc = xs_session_read(s, (uintptr_t)f->name, buf, len - 1);

	buf[rc ? 0 : len - 1] = '\0';
	if (rc) {
		xs_error_clear();
		snprintf(buf, len, "0x%llx", (unsigned long long)(uintptr_t)f->old_addr);
	}
}

void xs_func_name(struct xs_session *s, int slot, uint32_t i, char *buf, size_t len)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	struct xsplice_func f;

	if (i < p->nfuncs && !xs_session_read(s, p->funcs_addr + i * sizeof(f), &f, sizeof(f))) {
		xs_func_read_name(s, &f, buf, len);
		return;
	}
	xs_error_clear();
	snprintf(buf, len, "#%u of payload %s", i, p->id);
}

/* The payload this one depends on must be applied. */
static int check_depends(struct xs_session *s, int slot)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	char hex[2 * XS_BUILD_ID_MAX + 1];

	if (!p->depends_id.len)
		return 0;
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *q = &s->state->payloads[i];

		if (q->used && q->status == XS_STATUS_APPLIED &&
		    q->build_id.len == p->depends_id.len &&
		    !memcmp(q->build_id.bytes, p->depends_id.bytes, q->build_id.len))
			return 0;
	}
	xs_hex(p->depends_id.bytes, p->depends_id.len, hex);
	return xs_fail(-EINVAL, "payload %s depends on payload build-id %s, which is not applied",
	               p->id, hex);
}

static int check_func(struct xs_session *s, const struct xs_state_payload *p,
                      const struct xsplice_func *f, struct xs_objects *objs, struct xs_object *home,
                      const struct xs_layers *layers)
{
	unsigned char jump[XS_ARCH_PATCH_SIZE];
	struct xs_site_view v;
	char name[128];
	unsigned po, need;
	int rc;

	xs_func_read_name(s, f, name, sizeof(name));
	/* The funcs table is in the target: its addresses must be the patched object's. */
	if (xs_objects_by_addr(objs, (uintptr_t)f->old_addr) != home)
		return xs_fail(-EPROTO, "payload %s: function %s at 0x%llx is not in %s", p->id,
		               name, (unsigned long long)(uintptr_t)f->old_addr, p->object);
	rc = xs_site_view(s, layers, (uintptr_t)f->old_addr, &v);
	if (rc)
		return xs_fail(rc, "payload %s: cannot read function %s", p->id, name);
	po = xs_arch_patch_offset(v.orig, sizeof(v.orig));
	need = f->new_addr ? XS_ARCH_PATCH_SIZE : f->new_size;
	if (f->old_size < po + need)
		return xs_fail(-EINVAL,
		               "payload %s: function %s is %u bytes, too small for a %u-byte patch",
		               p->id, name, f->old_size, po + need);
	rc = xs_site_expect(s, &v, po, &f->expect, p->id, name);
	if (rc)
		return rc;
	if (f->new_addr &&
	    xs_arch_encode_jump((uintptr_t)f->old_addr + po, (uintptr_t)f->new_addr, jump))
		return xs_fail(-ERANGE, "payload %s: new code of %s out of jump reach", p->id,
		               name);
	return 0;
}

/* Everything CHECK verifies but the dependency. */
static int check_code(struct xs_session *s, int slot)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	struct xsplice_func *funcs = calloc(p->nfuncs, sizeof(*funcs));
	struct xs_objects *objs = NULL;
	struct xs_object *home = NULL;
	struct xs_layers *layers = NULL;
	int rc;

	if (!funcs)
		return xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	rc = xs_objects_scan(s->pid, &objs);
	if (!rc && !(home = xs_objects_by_build_id(objs, &p->target_id)))
		rc = xs_fail(-XS_ERRNO__NO_OBJECT,
		             "payload %s: the object it patches (%s) is no longer loaded", p->id,
		             p->object);
	if (!rc)
		rc = xs_funcs_read(s, slot, funcs);
	if (!rc)
		rc = xs_layers_load(s, &layers);
	for (uint32_t i = 0; !rc && i < p->nfuncs; i++)
		rc = check_func(s, p, &funcs[i], objs, home, layers);
	xs_layers_free(layers);
	xs_objects_free(objs);
	free(funcs);
	return rc;
}

/* Record the outcome of a failed action on the payload; the code is unchanged. */
int xs_fail_action(struct xs_session *s, int slot, int rc)
{
	if (slot >= 0 && s && s->t) {
		s->state->payloads[slot].rc = rc;
		xs_session_commit(s);
	}
	return rc;
}

static int open_payload(pid_t pid, const char *id, enum op op, bool attach, long timeout_ms,
                        struct xs_session *before, struct xs_session **s, int *slot)
{
	int rc = before ? xs_session_open_again(pid, timeout_ms, before, s) :
	                  xs_session_open(pid, attach, timeout_ms, s);

	*slot = -1;
	if (rc)
		return rc;
	if (!(*s)->state_addr)
		return xs_fail(-ENOENT, "pid %d: no payload '%s' (nothing loaded)", pid, id);
	*slot = xs_session_find(*s, id);
	if (*slot < 0)
		return *slot;
	return allowed(*s, *slot, op);
}

int xs_open_to_unload(pid_t pid, const char *id, bool attach, struct xs_session *before,
                      struct xs_session **s, int *slot)
{
	return open_payload(pid, id, OP_UNLOAD, attach, XS_DEFAULT_TIMEOUT_MS, before, s, slot);
}

int xs_unload_allowed(struct xs_session *s, int slot)
{
	return allowed(s, slot, OP_UNLOAD);
}

/* A failure found before stopping the process still goes on record (rc). */
int xs_record_failure(pid_t pid, const char *id, int slot, int rc)
{
	struct xs_session *s = NULL;
	enum xs_fail_kind kind = xs_error_kind(); /* busy stays busy */
	char msg[512];

	if (slot < 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s", xs_error_message());
	if (xs_session_open(pid, true, XS_DEFAULT_TIMEOUT_MS, &s) == 0 && s->state_addr &&
	    (slot = xs_session_find(s, id)) >= 0)
		xs_fail_action(s, slot, rc);
	xs_session_close(s);
	return xs_fail_kind(kind, rc, "%s", msg); /* the cause, not the bookkeeping */
}

int xs_check(pid_t pid, const char *id)
{
	struct xs_session *s = NULL, *before;
	uint32_t version = 0;
	int slot,
	    rc = open_payload(pid, id, OP_CHECK, false, XS_DEFAULT_TIMEOUT_MS, NULL, &s, &slot);

	/* The checks only read: the process keeps running while they do. */
	if (!rc)
		rc = check_code(s, slot);
	if (!rc)
		rc = check_depends(s, slot);
	if (!rc)
		version = s->state->version;
	before = s;
	s = NULL;
	if (rc) {
		xs_session_close(before);
		return xs_target_explain(pid, xs_record_failure(pid, id, slot, rc));
	}
	rc = open_payload(pid, id, OP_CHECK, true, XS_DEFAULT_TIMEOUT_MS, before, &s, &slot);
	xs_session_close(before);
	if (!rc && s->state->version != version)
		rc = check_code(s, slot) ?: check_depends(s, slot);
	if (!rc) {
		s->state->payloads[slot].status = XS_STATUS_CHECKED;
		s->state->payloads[slot].rc = 0;
		rc = xs_session_commit(s);
	} else {
		xs_fail_action(s, slot, rc);
	}
	xs_session_close(s);
	return xs_target_explain(pid, rc);
}

int xs_unwinder_add_payloads(struct xs_session *s, struct xs_unwinder *u)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &s->state->payloads[i];
		unsigned char *eh;
		int rc;

		if (!p->used || !p->eh_frame_size)
			continue;
		eh = malloc(p->eh_frame_size);
		if (!eh)
			return xs_fail(-ENOMEM, "payload %s: no memory", p->id);
		rc = xs_proc_read(s->pid, p->eh_frame_addr, eh, p->eh_frame_size);
		if (!rc)
			rc = xs_unwinder_add_code(u, p->text_start, p->text_end, p->eh_frame_addr,
			                          eh, p->eh_frame_size);
		free(eh);
		if (rc)
			return rc;
	}
	return 0;
}

/* Code no thread may be in: a revert's payload code; an apply's old functions
 * (from its prepared sites when there are, else from its funcs table). */
static int add_ranges(struct xs_session *s, int slot, bool applying, const struct xs_sites *x,
                      struct xs_range **r, size_t *n)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	size_t need = applying ? p->nfuncs : 1;
	struct xs_range *v = realloc(*r, (*n + need) * sizeof(*v));
	struct xsplice_func *funcs = NULL;
	int rc = 0;

	if (!v)
		return xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	*r = v;
	if (!applying) {
		v[(*n)++] = (struct xs_range){ p->text_start, p->text_end, p->id, 0, slot, 0 };
		return 0;
	}
	if (!x) {
		funcs = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*funcs));
		rc = funcs ? xs_funcs_read(s, slot, funcs) :
		             xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	}
	for (uint32_t i = 0; !rc && i < p->nfuncs; i++) {
		uint64_t at = x ? x->fs[i].old_addr : (uintptr_t)funcs[i].old_addr;
		uint64_t size = x ? x->fs[i].old_size : funcs[i].old_size;

		v[(*n)++] = (struct xs_range){ at, at + size, p->id, 0, slot, i + 1 };
	}
	free(funcs);
	return rc;
}

static void journal_add(struct xs_session *s, int slot)
{
	struct xs_journal *j = &s->state->journal;
	const struct xs_state_payload *p = &s->state->payloads[slot];

	j->entries[j->count].slot = slot;
	j->entries[j->count].prev_status = p->status;
	j->entries[j->count].prev_seq = p->apply_seq;
	j->count++;
}

/*
 * Patch (or unpatch) one payload's sites, with every thread stopped and safe:
 * with the sites made ready before the stop (ready), or made here.
 */
static int switch_payload(struct xs_session *s, int slot, bool apply, struct xs_sites *ready)
{
	struct xs_state_payload *p = &s->state->payloads[slot];
	struct xs_sites mine = { 0 }, *x = ready ? ready : &mine;
	int rc = ready ? 0 : xs_sites_prepare(s, slot, apply, &mine);

	/* An apply's records (saved bytes first of all) go before the journal,
	 * already marked applied: should the action not finish, the journal's
	 * undo rewrites them from what the code then holds. A lone apply's went
	 * out just before the stop (check_before_stop). */
	if (!rc && apply && !x->records_written) {
		xs_sites_mark_applied(x);
		rc = xs_fstate_write(s, slot, x->fs);
	}
	if (!rc) {
		journal_add(s, slot);
		rc = xs_session_commit(s);
		xs_mark("journal");
	}
	if (!rc) {
		bool untouched = false;

		xs_crash_point(apply ? "apply-after-journal" : "revert-after-journal");
		rc = xs_patch_write(s, slot, x, apply,
		                    apply ? "apply-after-first-write" : "revert-after-first-write",
		                    &untouched);
		/* Refused before any write (a site not as expected): the undo
		 * must not rewrite sites someone else changed. */
		if (rc && untouched)
			s->state->journal.count--;
	}
	if (!rc) {
		p->status = apply ? XS_STATUS_APPLIED : XS_STATUS_REVERTED;
		p->apply_seq = apply ? s->state->next_seq++ : 0;
		p->rc = 0;
	}
	xs_sites_free(&mine);
	return rc;
}

/* Applied payloads, most recent first. */
static size_t applied_stack(struct xs_session *s, int *slots)
{
	size_t n = 0;

	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (s->state->payloads[i].used && s->state->payloads[i].status == XS_STATUS_APPLIED)
			slots[n++] = i;
	for (size_t a = 1; a < n; a++) /* insertion sort by apply_seq, descending */
		for (size_t b = a; b > 0 && s->state->payloads[slots[b]].apply_seq >
		                                s->state->payloads[slots[b - 1]].apply_seq;
		     b--) {
			int tmp = slots[b];

			slots[b] = slots[b - 1];
			slots[b - 1] = tmp;
		}
	return n;
}

/* What an action will do, worked out while the process runs where it can be. */
struct plan {
	int revert[XS_STATE_MAX_PAYLOADS]; /* in this order */
	size_t nrevert;
	int apply;               /* -1: none */
	struct xs_range *ranges; /* code no thread may be in, sorted */
	size_t nranges;
	/* A lone apply's or revert's sites, made ready (nothing else in the
	 * stop changes them first); for a replace they are made in the stop. */
	int sites_slot; /* -1: none */
	struct xs_sites sites;
	pid_t owner; /* us, for the journal (getpid is a system call) */
	uint64_t owner_start;
};

static void plan_free(struct plan *pl)
{
	free(pl->ranges);
	xs_sites_free(&pl->sites);
	memset(pl, 0, sizeof(*pl));
	pl->apply = -1;
	pl->sites_slot = -1;
}

/* The sites and the ranges, from what prepare_plan decided. */
static int plan_ahead(struct xs_session *s, struct plan *pl)
{
	int rc = 0;

	if (pl->nrevert + (pl->apply >= 0) == 1) {
		pl->sites_slot = pl->apply >= 0 ? pl->apply : pl->revert[0];
		rc = xs_sites_prepare(s, pl->sites_slot, pl->apply >= 0, &pl->sites);
		if (rc)
			pl->sites_slot = -1;
		else if (!s->t) /* planned again in the stop: the write reads them once */
			xs_sites_edit_ahead(s, pl->sites_slot, pl->apply >= 0, &pl->sites);
	}
	for (size_t i = 0; !rc && i < pl->nrevert; i++)
		rc = add_ranges(s, pl->revert[i], false, NULL, &pl->ranges, &pl->nranges);
	if (!rc && pl->apply >= 0)
		rc = add_ranges(s, pl->apply, true, pl->apply == pl->sites_slot ? &pl->sites : NULL,
		                &pl->ranges, &pl->nranges);
	if (!rc)
		xs_ranges_sort(pl->ranges, pl->nranges);
	return rc;
}

static struct xs_sites *ready_sites(struct plan *pl, int slot)
{
	return slot == pl->sites_slot ? &pl->sites : NULL;
}

/* A hook after the switch: its failure is not the action's, but running out
 * of time is (-ETIMEDOUT): the hooks that would follow never run. */
static int after_switch(struct xs_session *s, int slot, int kind, struct xs_hook_time *ht)
{
	int rc = xs_run_hooks(s, slot, kind, false, ht);

	return rc == -ETIMEDOUT ? rc : 0;
}

/* Quiescence, then the hooks that may still refuse (all in the stop). */
static int wait_until_safe(struct xs_session *s, struct plan *pl, struct xs_unwinder *u,
                           struct xs_conflict *c, long long deadline, long timeout_ms,
                           struct xs_hook_time *ht)
{
	int rc = xs_quiesce(s, u, c, pl->ranges, pl->nranges, deadline);

	xs_mark("walked");
	xs_hook_time_init(ht, timeout_ms);
	for (size_t i = 0; !rc && i < pl->nrevert; i++)
		rc = xs_run_hooks(s, pl->revert[i], XS_HOOK_PRE_REVERT, true, ht);
	if (!rc && pl->apply >= 0)
		rc = xs_run_hooks(s, pl->apply, XS_HOOK_PRE_APPLY, true, ht);
	return rc;
}

/* Journal, patch, the hooks after the switch, commit; undone from the journal on failure. */
static int switch_and_commit(struct xs_session *s, struct plan *pl, struct xs_hook_time *ht)
{
	int rc = 0;

	s->state->journal.action = pl->apply < 0 ? XS_ACTION_REVERT :
	                           pl->nrevert   ? XS_ACTION_REPLACE :
	                                           XS_ACTION_APPLY;
	s->state->journal.owner = pl->owner;
	s->state->journal.owner_start = pl->owner_start;
	for (size_t i = 0; !rc && i < pl->nrevert; i++)
		rc = switch_payload(s, pl->revert[i], false, ready_sites(pl, pl->revert[i]));
	if (!rc && pl->apply >= 0)
		rc = switch_payload(s, pl->apply, true, ready_sites(pl, pl->apply));
	if (rc) {
		/* Put back whatever was done, from the journal, as a later run would. */
		int undo = xs_session_recover(s);

		return undo ? undo : rc;
	}
	for (size_t i = 0; !rc && i < pl->nrevert; i++)
		rc = after_switch(s, pl->revert[i], XS_HOOK_REVERT, ht) ?:
		         after_switch(s, pl->revert[i], XS_HOOK_POST_REVERT, ht);
	if (!rc && pl->apply >= 0)
		rc = after_switch(s, pl->apply, XS_HOOK_APPLY, ht) ?:
		         after_switch(s, pl->apply, XS_HOOK_POST_APPLY, ht);
	if (rc) {
		/* Hooks left unrun (an apply hook may set up what the new code
		 * needs): back to the old code, from the journal, as above. */
		int undo = xs_session_recover(s);

		return undo ? undo : rc;
	}
	xs_error_clear(); /* other hook failures after the switch are not the action's */
	memset(&s->state->journal, 0, sizeof(s->state->journal));
	rc = xs_session_commit(s);
	xs_mark("committed");
	return rc;
}

/* Which payloads to revert and apply, checked without stopping the process. */
static int prepare_plan(struct xs_session *s, const char *id, enum op op, int slot, struct plan *pl)
{
	int stack[XS_STATE_MAX_PAYLOADS];
	size_t depth = applied_stack(s, stack);
	int rc;

	plan_free(pl);
	pl->owner = getpid();
	if (xs_proc_start_time(pl->owner, &pl->owner_start))
		return xs_fail(-EIO, "cannot read our own start time from /proc/self/stat");
	if (op == OP_REVERT) {
		if (stack[0] != slot)
			return xs_fail(-EBUSY,
			               "payload %s: %s was applied after it: revert that first", id,
			               s->state->payloads[stack[0]].id);
		pl->revert[pl->nrevert++] = slot;
		return plan_ahead(s, pl);
	}
	if (op == OP_REPLACE)
		for (size_t i = 0; i < depth; i++)
			pl->revert[pl->nrevert++] = stack[i];
	pl->apply = slot;
	rc = check_code(s, slot);
	/* Replace checks the dependency as it will be after the reverts. */
	for (size_t i = 0; i < pl->nrevert; i++)
		s->state->payloads[pl->revert[i]].status = XS_STATUS_REVERTED;
	if (!rc)
		rc = check_depends(s, slot);
	for (size_t i = 0; i < pl->nrevert; i++)
		s->state->payloads[pl->revert[i]].status = XS_STATUS_APPLIED;
	return rc ? rc : plan_ahead(s, pl);
}

/* Each costs microseconds on a VM: none should happen while threads wait. */
static long long minor_faults(void)
{
	struct rusage ru;

	/* A system call: not made in the stop unless the count is printed. */
	if (!xs_debug_on())
		return 0;
	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_minflt;
}

/* A long wait says what it waits for, in the release before it (busy_report.h). */
static void wait_note(struct xs_target *t, void *arg)
{
	(void)t;
	if (arg)
		xs_busy_wait_note(arg);
}

/* The CLI refuses anything else; here so no caller's value overflows a deadline. */
static long bounded_timeout(long ms)
{
	return ms <= 0 ? XS_DEFAULT_TIMEOUT_MS : ms > XS_MAX_TIMEOUT_MS ? XS_MAX_TIMEOUT_MS : ms;
}

/*
 * A load that failed after its payload was placed, in the same stop: out
 * again, unless some code still jumps into it (an undo that failed); then
 * it stays, with the failure on record. The cause stays the message (and
 * its kind: busy stays worth a retry).
 */
static void take_out(struct xs_session *s, int slot, int cause)
{
	enum xs_fail_kind kind = xs_error_kind();
	char msg[1024], why[512];
	int rc;

	snprintf(msg, sizeof(msg), "%s", xs_error_message());
	xs_error_clear();
	rc = xs_unreferenced(s, slot) ?: xs_drop_payload(s, slot, false);
	/* Gone, or a new program after execve: nothing of ours is left. */
	if (rc == -ESRCH || rc == -ECANCELED) {
		xs_fail_kind(kind, cause, "%s", msg);
		return;
	}
	if (!rc) {
		xs_session_drop_empty_state(s);
		xs_fail_kind(kind, cause, "%s", msg);
		return;
	}
	snprintf(why, sizeof(why), "%s", xs_error_message());
	xs_fail_action(s, slot, cause);
	xs_fail_override(cause, "%s (and unloading it again failed: %s)", msg, why);
}

/* The coroutine list the stack check walks too (a warning when a process
 * links ucontext calls without one). */
static int find_coroutines(pid_t pid, struct xs_conflict *c)
{
	uint64_t list = 0;
	int rc = xs_coroutines_find(pid, &list);

	xs_conflict_set_coroutines(c, list);
	return rc;
}

/* One action's run: what its steps share. */
struct run {
	pid_t pid;
	const char *id;
	enum op op;
	long timeout_ms;
	long long deadline;
	struct xs_upload *up; /* a load's payload; NULL: not a load */
	struct xs_unwinder *u;
	struct xs_conflict *conflict;
	struct xs_busy *busy;
	struct xs_session *s;      /* the stop's */
	struct xs_session *before; /* the plan's: what the stop need not read again */
	struct plan pl;
	struct xs_ahead ahead;
	struct xs_in_wait in_wait;
	uint32_t version; /* the registry's, as planned */
	int slot, planned_slot;
	bool placed; /* a load's payload is in the process */
	/* Debug output waits for the release: a line printed is a system call. */
	long long t0, faults, stopped_us, patched_us;
};

/* The time bound, and what a busy report needs. */
static void run_start(struct run *r, long timeout_ms)
{
	r->timeout_ms = bounded_timeout(timeout_ms);
	r->deadline = xs_now_ms() + r->timeout_ms;
	r->conflict = xs_conflict_new();
	r->busy = xs_conflict_busy(r->conflict);
	if (r->busy) {
		r->busy->start_ms = r->deadline - r->timeout_ms;
		r->busy->timeout_ms = r->timeout_ms;
		if (r->up) { /* taken out before the report reads its names */
			r->busy->name_of = xs_upload_func_name;
			r->busy->name_arg = r->up;
		}
	}
}

/* The stacks the stop will walk and the pages it will touch, read ahead. */
static void read_ahead(struct run *r)
{
	struct xs_pages stacks = { 0 };

	r->version = r->s->state->version;
	xs_pages_add_stacks(r->pid, &stacks);
	xs_unwind_ahead(r->u, r->pid, &stacks);
	if (xs_unwinder_snap_plan(r->u, &stacks))
		xs_error_clear(); /* only a head start */
	xs_warm_list(r->s, &stacks, r->pl.revert, r->pl.nrevert, r->pl.apply, r->up ? r->slot : -1,
	             r->pl.sites_slot >= 0 ? &r->pl.sites : NULL);
	xs_pages_free(&stacks);
}

/* Everything slow while the process runs: unwind tables, symbols, checks, the plan. */
static int plan_before_stop(struct run *r)
{
	int rc = xs_target_check(r->pid);

	if (!rc)
		rc = xs_unwinder_new(r->pid, &r->u);
	if (!rc)
		rc = find_coroutines(r->pid, r->conflict);
	if (!rc && r->up) { /* no thread is in its code: not for the unwinder */
		rc = xs_session_open(r->pid, false, r->timeout_ms, &r->s);
		if (!rc)
			rc = xs_unwinder_add_payloads(r->s, r->u);
		if (!rc)
			rc = xs_upload_plan(r->up, r->s, &r->slot, true);
		r->planned_slot = r->slot;
	} else if (!rc) {
		rc =
		    open_payload(r->pid, r->id, r->op, false, r->timeout_ms, NULL, &r->s, &r->slot);
		if (!rc)
			rc = xs_unwinder_add_payloads(r->s, r->u);
	}
	if (!rc)
		rc = prepare_plan(r->s, r->id, r->op, r->slot, &r->pl);
	if (!rc)
		read_ahead(r);
	if (r->up && r->s) /* the stop takes over the registry as the process has it */
		xs_upload_unpreview(r->up, r->s, r->planned_slot);
	return rc;
}

/* What the stop does while it seizes and waits (target.h's hooks), from the plan. */
static void hook_the_stop(struct run *r)
{
	struct xs_session *s = r->s;
	struct plan *pl = &r->pl;

	if (s->state_addr) {
		/* A load's records go out with the rest of it, in the stop. */
		bool lone_apply =
		    pl->apply >= 0 && !pl->nrevert && pl->sites_slot == pl->apply && !r->up;

		r->ahead =
		    (struct xs_ahead){ s, pl->sites_slot >= 0 ? &pl->sites : NULL, s->state_addr,
			               lone_apply ? s->state->payloads[pl->apply].fstate_addr : 0,
			               r->version };
		s->hooks.before_stop = xs_check_before_stop;
		s->hooks.before_arg = &r->ahead;
	}
	r->in_wait = (struct xs_in_wait){ pl->sites_slot >= 0 ? &pl->sites : NULL, r->u };
	s->hooks.all_stopped = xs_read_in_wait;
	s->hooks.stopped_arg = &r->in_wait;
	s->hooks.regs_read = xs_unwinder_regs_read;
	s->hooks.regs_arg = r->u;
	s->hooks.released = wait_note;
	s->hooks.released_arg = r->busy;
}

/* Stop every thread; a load's payload placed first; planned again only if
 * another run changed the registry (or the payload moved). */
static int stop_and_place(struct run *r)
{
	int rc;

	if (r->up) {
		bool moved = false, changed;

		rc = xs_session_open_again(r->pid, r->timeout_ms, r->before, &r->s);
		xs_mark("registry");
		changed = !rc && r->s->state->version != r->version;
		if (!rc)
			rc = xs_upload_place(r->up, r->s, true, &r->slot, &moved);
		xs_mark("uploaded");
		r->placed = !rc;
		/* Planned from the preview unless the registry or the place changed. */
		if (!rc && (changed || moved))
			rc = xs_session_maps_fresh(r->s) ?:
			         prepare_plan(r->s, r->id, r->op, r->slot, &r->pl);
	} else {
		rc = open_payload(r->pid, r->id, r->op, true, r->timeout_ms, r->before, &r->s,
		                  &r->slot);
		xs_mark("registry");
		if (!rc && r->s->state->version != r->version)
			rc = prepare_plan(r->s, r->id, r->op, r->slot, &r->pl);
	}
	r->stopped_us = xs_now_us() - r->t0;
	return rc;
}

/* Quiescence, hooks, the switch and the commit, in the stop. */
static int run_plan(struct run *r)
{
	struct xs_hook_time ht;

	return wait_until_safe(r->s, &r->pl, r->u, r->conflict, r->deadline, r->timeout_ms, &ht) ?:
	           switch_and_commit(r->s, &r->pl, &ht);
}

/* A failure, still in the stop: a placed payload taken out, else on record. */
static void settle_failure(struct run *r, int rc)
{
	if (rc && r->placed)
		take_out(r->s, r->slot, rc);
	else if (rc && !r->up)
		xs_fail_action(r->s, r->slot, rc);
}

/* What the stop cost, once the threads run again (debug output only). */
static void print_timing(struct run *r)
{
	const char *name = ops[r->op].name;
	struct xs_unwinder *u = r->u;

	xs_debug(
	    "%s %s: all threads stopped in %lld us, patched at %lld, released at %lld, after %lld page faults of ours",
	    name, r->id, r->stopped_us, r->patched_us, xs_now_us() - r->t0,
	    minor_faults() - r->faults);
	xs_marks_print("stop timeline, us");
	if (u) {
		size_t by_rules, by_dwfl, tops_helper, tops_us;

		xs_unwinder_counts(u, &by_rules, &by_dwfl);
		xs_unwinder_tops_counts(u, &tops_helper, &tops_us);
		xs_debug(
		    "%s %s: stacks walked: %zu by frame rules, %zu by libdwfl; %zu CFI rows looked up in all, %zu stack pages read past the tops; %zu tops read ahead by the helper, %zu by us, %zu in the wait for registers",
		    name, r->id, by_rules, by_dwfl, xs_unwinder_lookups(u),
		    xs_unwinder_page_reads(u), tops_helper, tops_us, xs_unwinder_snap_tops(u));
	}
}

/* The threads run again; a busy refusal says what held them. */
static int release(struct run *r, int rc)
{
	xs_unwinder_stop_walked(r->u); /* when the stop ended before any walk */
	r->patched_us = xs_now_us() - r->t0;
	xs_session_close(r->s);
	r->s = NULL;
	if (rc == -EBUSY && r->busy && r->busy->set)
		rc = xs_busy_report(r->busy); /* names and stacks, now that the threads run */
	print_timing(r);
	return rc;
}

static void run_free(struct run *r)
{
	plan_free(&r->pl);
	xs_session_close(r->s);
	xs_session_close(r->before);
	xs_unwinder_free(r->u);
	xs_conflict_free(r->conflict);
}

/*
 * With up (load): the payload is planned ahead as if uploaded (upload.h's
 * preview), and placed first thing in the apply's stop; if the apply fails,
 * it is taken out again in that stop.
 */
static int act(pid_t pid, const char *id, enum op op, long timeout_ms, struct xs_upload *up)
{
	struct run r = { .pid = pid,
		         .id = id,
		         .op = op,
		         .up = up,
		         .slot = -1,
		         .planned_slot = -1,
		         .pl = { .apply = -1, .sites_slot = -1 } };
	int rc;

	run_start(&r, timeout_ms);
	rc = plan_before_stop(&r);
	if (!rc)
		hook_the_stop(&r);
	r.before = r.s;
	r.s = NULL;
	if (rc) {
		if (!up) /* a load's payload is not in the registry yet */
			rc = xs_record_failure(pid, id, r.slot, rc);
		goto out;
	}
	xs_pause_point("before-stop");
	r.t0 = xs_now_us();
	r.faults = minor_faults();
	rc = stop_and_place(&r); /* stopped from here on */
	if (!rc)
		xs_pause_point("in-stop"); /* tests: the process held by this run */
	if (!rc)
		rc = run_plan(&r);
	settle_failure(&r, rc);
	rc = release(&r, rc);
out:
	run_free(&r);
	return xs_target_explain(pid, rc);
}

int xs_apply(pid_t pid, const char *id, long timeout_ms)
{
	return act(pid, id, OP_APPLY, timeout_ms, NULL);
}

int xs_revert(pid_t pid, const char *id, long timeout_ms)
{
	return act(pid, id, OP_REVERT, timeout_ms, NULL);
}

int xs_replace(pid_t pid, const char *id, long timeout_ms)
{
	return act(pid, id, OP_REPLACE, timeout_ms, NULL);
}

/* One action, in one stop: on failure nothing it uploaded stays. */
int xs_load(pid_t pid, const char *id, const char *path, long timeout_ms, unsigned flags)
{
	struct xs_upload *up = NULL;
	int rc = xs_upload_prepare(pid, id, path, flags, &up);

	if (!rc)
		rc = act(pid, id, OP_APPLY, timeout_ms, up);
	else
		rc = xs_target_explain(pid, rc);
	xs_upload_free(up);
	return rc;
}

int xs_recover(pid_t pid)
{
	struct xs_session *s = NULL;
	int rc = xs_session_open(pid, true, XS_DEFAULT_TIMEOUT_MS, &s); /* undoes any journal */

	if (!rc && s->state_addr)
		rc = xs_session_commit(s); /* and claims a registry inherited by fork */
	xs_session_close(s);
	return rc;
}
