/* SPDX-License-Identifier: MIT */
/* Checks of the registry read from a target (see state_check.h). */
#include "state/state_check.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "common/error.h"
#include "common/page.h"

#define BAD(pid, fmt, ...) xs_fail(-EPROTO, "pid %d: registry: " fmt, (int)(pid), ##__VA_ARGS__)

static bool valid_status(int32_t status)
{
	return status == XS_STATUS_LOADED || status == XS_STATUS_CHECKED ||
	       status == XS_STATUS_APPLIED || status == XS_STATUS_REVERTED;
}

/* [addr, addr + len) inside [lo, hi), without wrapping. */
static bool inside(uint64_t addr, uint64_t len, uint64_t lo, uint64_t hi)
{
	return addr >= lo && addr <= hi && len <= hi - addr;
}

static bool valid_id(const char *id)
{
	const char *end = memchr(id, '\0', XS_ID_MAX);

	if (!end || end == id)
		return false;
	for (const char *c = id; c < end; c++)
		if (*c <= ' ' || *c > '~' || strchr("/\"\\", *c))
			return false;
	return true;
}

static int check_layout(const struct xs_state_payload *p, int slot, pid_t pid)
{
	uint64_t page = xs_page_size(), lo = p->base, hi = p->base + p->size;

	if (p->base % page || !p->size || p->size % page || p->size > XS_STATE_MAX_REGION ||
	    hi < lo)
		return BAD(
		    pid,
		    "slot %d (%s): region 0x%llx+0x%llx is not a page-aligned range of at most %llu bytes",
		    slot, p->id, (unsigned long long)p->base, (unsigned long long)p->size,
		    XS_STATE_MAX_REGION);
	if (p->text_start >= p->text_end ||
	    !inside(p->text_start, p->text_end - p->text_start, lo, hi))
		return BAD(pid, "slot %d (%s): text outside its region", slot, p->id);
	if (!inside(p->stub_addr, XS_ARCH_STUB_SIZE, p->text_start, p->text_end))
		return BAD(pid, "slot %d (%s): return stub outside its text", slot, p->id);
	if (p->funcs_addr % 8 ||
	    !inside(p->funcs_addr, (uint64_t)p->nfuncs * sizeof(struct xsplice_func), lo, hi))
		return BAD(pid, "slot %d (%s): funcs table outside its region", slot, p->id);
	if (p->fstate_addr % 8 ||
	    !inside(p->fstate_addr, (uint64_t)p->nfuncs * sizeof(struct xs_fstate), lo, hi))
		return BAD(pid, "slot %d (%s): function records outside its region", slot, p->id);
	if (p->eh_frame_size && (p->eh_frame_size > XS_STATE_MAX_EH_FRAME ||
	                         !inside(p->eh_frame_addr, p->eh_frame_size, lo, hi)))
		return BAD(pid, "slot %d (%s): .eh_frame outside its region", slot, p->id);
	for (int k = 0; k < XS_HOOK_COUNT; k++)
		if (p->nhooks[k] > XS_STATE_MAX_HOOKS ||
		    (p->nhooks[k] && (p->hooks_addr[k] % 8 ||
		                      !inside(p->hooks_addr[k], 8ull * p->nhooks[k], lo, hi))))
			return BAD(pid, "slot %d (%s): %u %s hooks: over %d or outside its region",
			           slot, p->id, p->nhooks[k], xs_hook_names[k], XS_STATE_MAX_HOOKS);
	return 0;
}

static int check_payload(const struct xs_state *st, int slot, pid_t pid)
{
	const struct xs_state_payload *p = &st->payloads[slot];

	if (!valid_id(p->id))
		return BAD(pid, "slot %d: id is not 1 to %d printable characters", slot,
		           XS_ID_MAX - 1);
	if (!valid_status(p->status))
		return BAD(pid, "slot %d (%s): status %d", slot, p->id, p->status);
	if (p->rc > 0 || p->rc < -4095)
		return BAD(pid, "slot %d (%s): rc %d is not 0 or -errno", slot, p->id, p->rc);
	if (p->nfuncs > XS_STATE_MAX_FUNCS)
		return BAD(pid, "slot %d (%s): %u functions, over %d", slot, p->id, p->nfuncs,
		           XS_STATE_MAX_FUNCS);
	if ((p->status == XS_STATUS_APPLIED) != (p->apply_seq != 0) || p->apply_seq >= st->next_seq)
		return BAD(pid, "slot %d (%s): apply sequence %llu does not fit status %d", slot,
		           p->id, (unsigned long long)p->apply_seq, p->status);
	if (p->build_id.len > XS_BUILD_ID_MAX || p->target_id.len > XS_BUILD_ID_MAX ||
	    p->depends_id.len > XS_BUILD_ID_MAX)
		return BAD(pid, "slot %d (%s): build-id longer than %d bytes", slot, p->id,
		           XS_BUILD_ID_MAX);
	if (!memchr(p->object, '\0', sizeof(p->object)))
		return BAD(pid, "slot %d (%s): object path not terminated", slot, p->id);
	return check_layout(p, slot, pid);
}

/* Distinct ids, distinct apply sequence numbers, disjoint regions. */
static int check_pairs(const struct xs_state *st, pid_t pid)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *a = &st->payloads[i];

		for (int j = i + 1; a->used && j < XS_STATE_MAX_PAYLOADS; j++) {
			const struct xs_state_payload *b = &st->payloads[j];

			if (!b->used)
				continue;
			if (!strcmp(a->id, b->id))
				return BAD(pid, "slots %d and %d both hold '%s'", i, j, a->id);
			if (a->apply_seq && a->apply_seq == b->apply_seq)
				return BAD(pid, "slots %d and %d share apply sequence %llu", i, j,
				           (unsigned long long)a->apply_seq);
			if (a->base < b->base + b->size && b->base < a->base + a->size)
				return BAD(pid, "the regions of %s and %s overlap", a->id, b->id);
		}
	}
	return 0;
}

static int check_journal(const struct xs_state *st, pid_t pid)
{
	const struct xs_journal *j = &st->journal;
	bool seen[XS_STATE_MAX_PAYLOADS] = { false };

	if (j->action > XS_ACTION_REPLACE)
		return BAD(pid, "journal action %u", j->action);
	if (j->action == XS_ACTION_NONE)
		return 0; /* the entries are read by no one */
	if (j->count > XS_STATE_MAX_PAYLOADS)
		return BAD(pid, "journal of %u entries, over %d", j->count, XS_STATE_MAX_PAYLOADS);
	for (uint32_t e = 0; e < j->count; e++) {
		int32_t slot = j->entries[e].slot;

		if (slot < 0 || slot >= XS_STATE_MAX_PAYLOADS || !st->payloads[slot].used ||
		    seen[slot])
			return BAD(pid, "journal entry %u names slot %d: not a payload, or twice",
			           e, slot);
		seen[slot] = true;
		if (!valid_status(j->entries[e].prev_status) ||
		    (j->entries[e].prev_status == XS_STATUS_APPLIED) !=
		        (j->entries[e].prev_seq != 0) ||
		    j->entries[e].prev_seq >= st->next_seq)
			return BAD(pid, "journal entry %u: status %d, sequence %llu", e,
			           j->entries[e].prev_status,
			           (unsigned long long)j->entries[e].prev_seq);
	}
	return 0;
}

int xs_state_check(const struct xs_state *st, pid_t pid)
{
	int rc;

	if (st->magic != XS_STATE_MAGIC || st->abi != XS_STATE_ABI)
		return BAD(pid, "magic 0x%llx abi %u, not ours", (unsigned long long)st->magic,
		           st->abi);
	if (st->next_seq == 0 || st->next_seq > (1ull << 62))
		return BAD(pid, "next sequence %llu", (unsigned long long)st->next_seq);
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		if (st->payloads[i].used != 0 && st->payloads[i].used != 1)
			return BAD(pid, "slot %d: used is %d", i, st->payloads[i].used);
		if (st->payloads[i].used && (rc = check_payload(st, i, pid)))
			return rc;
	}
	rc = check_pairs(st, pid);
	return rc ? rc : check_journal(st, pid);
}

int xs_fstate_check(const struct xs_state_payload *p, const struct xs_fstate *fs, uint32_t n,
                    pid_t pid)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct xs_fstate *f = &fs[i];

		if (f->len > XSPLICE_EXPECT_MAX || f->patch_offset > XSPLICE_EXPECT_MAX ||
		    f->applied > 1 || f->old_addr + f->patch_offset + f->len < f->old_addr)
			return BAD(pid, "%s: function record %u: length %u, offset %u, applied %u",
			           p->id, i, f->len, f->patch_offset, f->applied);
		if (f->new_addr && !inside(f->new_addr, 1, p->text_start, p->text_end))
			return BAD(pid,
			           "%s: function record %u: new code at 0x%llx is outside its text",
			           p->id, i, (unsigned long long)f->new_addr);
	}
	return 0;
}

static bool anon_private(const struct xs_map *m, void *perms)
{
	return m->inode == 0 && !m->path[0] && m->perms[3] == 'p' &&
	       (!perms || !strcmp(m->perms, perms));
}

int xs_state_region_check(const struct xs_state_payload *p, const struct xs_maps *maps, pid_t pid)
{
	uint64_t records = (uint64_t)p->nfuncs * sizeof(struct xs_fstate);

	if (!xs_maps_covered(maps, p->base, p->base + p->size, anon_private, NULL) ||
	    !xs_maps_covered(maps, p->text_start, p->text_end, anon_private, (void *)"r-xp") ||
	    (records && !xs_maps_covered(maps, p->fstate_addr, p->fstate_addr + records,
	                                 anon_private, (void *)"rw-p")))
		return xs_fail(
		    -EPROTO,
		    "pid %d: payload %s: its region 0x%llx+0x%llx is not mapped as xsplice maps a payload",
		    pid, p->id, (unsigned long long)p->base, (unsigned long long)p->size);
	return 0;
}

int xs_id_check(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= XS_ID_MAX)
		return xs_fail(-EINVAL, "payload id '%s': must be 1 to %d characters", id,
		               XS_ID_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)id[i]) || strchr("/\"\\", id[i]))
			return xs_fail(
			    -EINVAL,
			    "payload id '%s': only printable characters, no blanks, '/', '\"' or '\\'",
			    id);
	return 0;
}
