/* SPDX-License-Identifier: MIT */
/*
 * Writing patch sites (see patch.h). The per-function records hold both the
 * bytes replaced and the bytes written, so any run can tell from the code
 * alone how far a killed action got, and finish undoing it.
 */
#include "engine/patch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "target/code_runs.h"
#include "engine/engine_int.h"
#include "common/error.h"
#include "engine/site_check.h"

/* One span per function: its entry (prepare) or its patch site (write). */
static struct xs_span *spans_of(const struct xs_fstate *fs, const struct xsplice_func *funcs,
                                uint32_t n)
{
	struct xs_span *v = malloc((n ? n : 1) * sizeof(*v));

	for (uint32_t i = 0; v && i < n; i++)
		v[i] = funcs ? (struct xs_span){ (uintptr_t)funcs[i].old_addr,
			                         XSPLICE_EXPECT_MAX * 2 } :
		               (struct xs_span){ fs[i].old_addr + fs[i].patch_offset, fs[i].len };
	return v;
}

/* fs[] for applying payload slot, from its functions and their entries. */
static int prepare_apply(struct xs_session *s, int slot, const struct xsplice_func *funcs,
                         struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	struct xs_span *spans = spans_of(NULL, funcs, p->nfuncs);
	struct xs_runs *code = NULL;
	int rc = spans ? xs_runs_new(spans, p->nfuncs, &code) :
	                 xs_fail(-ENOMEM, "payload %s: no memory", p->id);

	if (!rc)
		rc = xs_runs_fill(code, s->pid, s->t);
	for (uint32_t i = 0; !rc && i < p->nfuncs; i++) {
		const struct xsplice_func *f = &funcs[i];
		struct xs_fstate *st = &fs[i];
		const unsigned char *entry = xs_runs_at(code, spans[i].addr, spans[i].len);

		memset(st, 0, sizeof(*st));
		st->old_addr = (uintptr_t)f->old_addr;
		st->new_addr = (uintptr_t)f->new_addr;
		st->old_size = f->old_size;
		st->new_size = f->new_size;
		st->patch_offset = xs_arch_patch_offset(entry, spans[i].len);
		st->len = st->new_addr ? XS_ARCH_PATCH_SIZE : st->new_size;
		if (st->len > XSPLICE_EXPECT_MAX || st->patch_offset + st->len > spans[i].len) {
			rc = xs_fail(-EINVAL, "payload %s: func %u: patch of %u bytes too long",
			             p->id, i, st->len);
			break;
		}
		memcpy(st->saved, entry + st->patch_offset, st->len);
		if (st->new_addr)
			rc = xs_arch_encode_jump(st->old_addr + st->patch_offset, st->new_addr,
			                         st->written);
		else
			xs_arch_encode_nops(st->written, st->len);
		if (rc)
			rc = xs_fail(
			    rc,
			    "payload %s: func %u at 0x%llx: new code at 0x%llx out of jump reach",
			    p->id, i, (unsigned long long)st->old_addr,
			    (unsigned long long)st->new_addr);
	}
	xs_runs_free(code);
	free(spans);
	/* What is at each site now is what revert will put back: it must be
	 * the object's own code, or a jump an earlier payload wrote. */
	return rc ? rc : xs_site_check_records(s, slot, fs, p->nfuncs);
}

int xs_sites_prepare(struct xs_session *s, int slot, bool apply, struct xs_sites *x)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	struct xsplice_func *funcs =
	    apply ? calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*funcs)) : NULL;
	struct xs_span *spans = NULL;
	int rc;

	memset(x, 0, sizeof(*x));
	x->n = p->nfuncs;
	x->fs = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*x->fs));
	rc = x->fs && (funcs || !apply) ? 0 : xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	if (!rc && apply)
		rc = xs_funcs_read(s, slot, funcs);
	if (!rc)
		rc = apply ? prepare_apply(s, slot, funcs, x->fs) : xs_fstate_read(s, slot, x->fs);
	if (!rc && !apply)
		rc = xs_site_check_records(s, slot, x->fs, x->n);
	if (!rc && !(spans = spans_of(x->fs, NULL, x->n)))
		rc = xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	if (!rc)
		rc = xs_runs_new(spans, x->n, &x->code);
	free(spans);
	free(funcs);
	if (rc)
		xs_sites_free(x);
	else /* the records are written from here in the stop */
		xs_pages_touch_ours(x->fs, x->n * sizeof(*x->fs));
	return rc;
}

void xs_sites_free(struct xs_sites *x)
{
	free(x->fs);
	xs_runs_free(x->code);
	memset(x, 0, sizeof(*x));
}

static int site_holds(struct xs_session *s, const struct xs_fstate *st, const uint8_t *want)
{
	unsigned char now[XSPLICE_EXPECT_MAX];
	int rc = xs_target_read(s->t, st->old_addr + st->patch_offset, now, st->len);

	if (rc)
		return rc;
	return memcmp(now, want, st->len) == 0;
}

/* Check every site in our copy of the code, then change it: nothing is
 * changed if any site does not hold what the switch expects. */
static int edit_sites(const struct xs_state_payload *p, struct xs_sites *x, bool apply)
{
	struct xs_fstate *fs = x->fs;
	uint32_t n = x->n;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t at = fs[i].old_addr + fs[i].patch_offset;

		if (memcmp(xs_runs_at(x->code, at, fs[i].len), apply ? fs[i].saved : fs[i].written,
		           fs[i].len))
			return xs_fail(-EIO,
			               "payload %s: code at 0x%llx changed behind xsplice's back",
			               p->id, (unsigned long long)at);
	}
	for (uint32_t k = 0; k < n; k++) {
		/* Revert in reverse order, so a function patched twice unwinds cleanly. */
		uint32_t i = apply ? k : n - 1 - k;

		memcpy(xs_runs_at(x->code, fs[i].old_addr + fs[i].patch_offset, fs[i].len),
		       apply ? fs[i].written : fs[i].saved, fs[i].len);
		fs[i].applied = apply;
	}
	return 0;
}

/*
 * With 1000 functions, checking and changing each site in the stop is slow
 * (its record and code are out of the cache by then); a whole-run compare
 * and a write of what was made here are a fraction of that. A site is still
 * checked in the stop: any change to a run since is seen, and the stop then
 * checks and changes span by span as it would without this.
 */
void xs_sites_edit_ahead(struct xs_session *s, int slot, bool apply, struct xs_sites *x)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	if (xs_runs_fill(x->code, s->pid, s->t) || xs_runs_remember(x->code) ||
	    edit_sites(p, x, apply))
		xs_error_clear(); /* the stop reads and checks again, and says why */
	else
		x->edited = true;
}

/*
 * Reading the registers of a thread that has just stopped waits until it is
 * off its CPU; reading the code first takes that wait.
 */
void xs_sites_reread_stopped(struct xs_target *t, void *arg)
{
	struct xs_sites *x = arg;

	if (!x->edited)
		return;
	x->reread = xs_runs_reread(x->code, t);
	x->reread_era = t->era;
	if (x->reread < 0) {
		xs_error_clear(); /* read again when writing, and said then */
		x->reread_era = 0;
	}
}

/*
 * Every site is read, changed in our copy and written back in runs (one
 * pread and one pwrite per run of nearby sites). A crash between two runs
 * leaves some sites done, which the journal's byte-by-byte recovery undoes.
 */
int xs_patch_write(struct xs_session *s, int slot, struct xs_sites *x, bool apply,
                   const char *crash_point, bool *untouched)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	int rc;

	if (x->edited && x->reread_era && x->reread_era == s->t->era)
		rc = x->reread; /* read since every thread stopped, nothing changed since */
	else if (x->edited)
		rc = xs_runs_reread(x->code, s->t);
	else
		rc = xs_runs_fill(x->code, s->pid, s->t);
	xs_mark("code read");
	if (rc == 1) { /* unchanged since xs_sites_edit_ahead: ready to write */
		rc = 0;
	} else if (rc == 0) {
		if (x->edited)
			xs_runs_take_reread(x->code);
		rc = edit_sites(p, x, apply);
	}
	*untouched = rc != 0;
	if (!rc) /* on failure the journal lets the next run put it back */
		rc = xs_runs_write(s->t, x->code, xs_crash_point, crash_point);
	xs_mark("code written");
	/*
	 * An apply's records were written, as applied, before the journal. A
	 * revert's are not written at all: once the payload is REVERTED they
	 * are read by no one (state.h), and the next apply makes them anew.
	 * With 1000 functions that is 104 KiB less to write in the stop.
	 */
	return rc;
}

/* Put one payload's sites back to what its status before the action says. */
static int undo_entry(struct xs_session *s, int slot, int prev_status)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	bool want_applied = prev_status == XS_STATUS_APPLIED;
	struct xs_fstate *fs = calloc(p->nfuncs, sizeof(*fs));
	int rc;

	if (!fs)
		return xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	rc = xs_fstate_read(s, slot, fs);
	if (!rc)
		rc = xs_site_check_records(s, slot, fs, p->nfuncs);
	for (uint32_t k = 0; !rc && k < p->nfuncs; k++) {
		struct xs_fstate *st = &fs[want_applied ? k : p->nfuncs - 1 - k];
		const uint8_t *from = want_applied ? st->saved : st->written;
		const uint8_t *to = want_applied ? st->written : st->saved;

		if (!st->len)
			continue; /* never prepared: the action stopped before this one */
		rc = site_holds(s, st, from);
		if (rc == 1)
			rc = xs_target_write(s->t, st->old_addr + st->patch_offset, to, st->len);
		st->applied = want_applied;
	}
	if (!rc)
		rc = xs_fstate_write(s, slot, fs);
	free(fs);
	return rc;
}

int xs_session_recover(struct xs_session *s)
{
	struct xs_journal *j = &s->state->journal;
	int rc = 0;

	xs_debug("pid %d: undoing action %u left by pid %d", s->pid, j->action, j->owner);
	for (int e = (int)j->count - 1; e >= 0 && !rc; e--) {
		struct xs_state_payload *p = &s->state->payloads[j->entries[e].slot];

		rc = undo_entry(s, j->entries[e].slot, j->entries[e].prev_status);
		p->status = j->entries[e].prev_status;
		p->apply_seq = j->entries[e].prev_seq;
	}
	if (rc)
		return xs_fail(rc, "pid %d: cannot undo the action a killed xsplice left", s->pid);
	memset(j, 0, sizeof(*j));
	return xs_session_commit(s);
}
