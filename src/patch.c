/* SPDX-License-Identifier: MIT */
/*
 * Writing patch sites (see patch.h). The per-function records hold both the
 * bytes replaced and the bytes written, so any run can tell from the code
 * alone how far a killed action got, and finish undoing it.
 */
#include "patch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "engine_int.h"
#include "error.h"

int xs_patch_prepare(struct xs_session *s, int slot, const struct xsplice_func *funcs,
		     struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	for (uint32_t i = 0; i < p->nfuncs; i++) {
		const struct xsplice_func *f = &funcs[i];
		struct xs_fstate *st = &fs[i];
		unsigned char entry[XSPLICE_EXPECT_MAX * 2];
		int rc;

		memset(st, 0, sizeof(*st));
		st->old_addr = (uintptr_t)f->old_addr;
		st->new_addr = (uintptr_t)f->new_addr;
		st->old_size = f->old_size;
		st->new_size = f->new_size;
		rc = xs_target_read(s->t, st->old_addr, entry, sizeof(entry));
		if (rc)
			return rc;
		st->patch_offset = xs_arch_patch_offset(entry, sizeof(entry));
		st->len = st->new_addr ? XS_ARCH_PATCH_SIZE : st->new_size;
		if (st->len > XSPLICE_EXPECT_MAX || st->patch_offset + st->len > sizeof(entry))
			return xs_fail(-EINVAL, "payload %s: func %u: patch of %u bytes too long",
				       p->id, i, st->len);
		memcpy(st->saved, entry + st->patch_offset, st->len);
		if (st->new_addr)
			rc = xs_arch_encode_jump(st->old_addr + st->patch_offset, st->new_addr,
						 st->written);
		else
			xs_arch_encode_nops(st->written, st->len);
		if (rc)
			return xs_fail(
			    rc,
			    "payload %s: func %u at 0x%llx: new code at 0x%llx out of jump reach",
			    p->id, i, (unsigned long long)st->old_addr,
			    (unsigned long long)st->new_addr);
	}
	return 0;
}

static int site_holds(struct xs_session *s, const struct xs_fstate *st, const uint8_t *want)
{
	unsigned char now[XSPLICE_EXPECT_MAX];
	int rc = xs_target_read(s->t, st->old_addr + st->patch_offset, now, st->len);

	if (rc)
		return rc;
	return memcmp(now, want, st->len) == 0;
}

int xs_patch_write(struct xs_session *s, int slot, struct xs_fstate *fs, bool apply,
		   const char *crash_point)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	uint32_t n = p->nfuncs;
	int rc;

	/*
	 * Verify every site first: nothing written if any is not as recorded.
	 * An apply's saved bytes were read in this same stop (xs_patch_prepare).
	 */
	for (uint32_t i = 0; !apply && i < n; i++) {
		rc = site_holds(s, &fs[i], fs[i].written);
		if (rc < 0)
			return rc;
		if (!rc)
			return xs_fail(
			    -EIO, "payload %s: code at 0x%llx changed behind xsplice's back", p->id,
			    (unsigned long long)(fs[i].old_addr + fs[i].patch_offset));
	}
	for (uint32_t k = 0; k < n; k++) {
		/* Revert in reverse order, so a function patched twice unwinds cleanly. */
		struct xs_fstate *st = &fs[apply ? k : n - 1 - k];

		rc = xs_target_write(s->t, st->old_addr + st->patch_offset,
				     apply ? st->written : st->saved, st->len);
		if (rc)
			return rc; /* the journal lets the next run put it back */
		st->applied = apply;
		if (k == 0)
			xs_crash_point(crash_point);
	}
	return xs_fstate_write(s, slot, fs);
}

int xs_patch_original(struct xs_session *s, uint64_t old_addr, unsigned char *buf, size_t len)
{
	int rc = xs_session_read(s, old_addr, buf, len);
	uint64_t lowest = UINT64_MAX;

	/* The first payload applied at this address saved the original bytes. */
	for (int i = 0; !rc && i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &s->state->payloads[i];
		struct xs_fstate *fs;

		if (!p->used || p->status != XS_STATUS_APPLIED || p->apply_seq > lowest)
			continue;
		fs = calloc(p->nfuncs, sizeof(*fs));
		if (!fs)
			return xs_fail(-ENOMEM, "payload %s: no memory", p->id);
		rc = xs_fstate_read(s, i, fs);
		for (uint32_t f = 0; !rc && f < p->nfuncs; f++) {
			if (fs[f].old_addr != old_addr || !fs[f].applied)
				continue;
			if (fs[f].patch_offset + fs[f].len <= len)
				memcpy(buf + fs[f].patch_offset, fs[f].saved, fs[f].len);
			lowest = p->apply_seq;
		}
		free(fs);
	}
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
