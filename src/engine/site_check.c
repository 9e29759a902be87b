/* SPDX-License-Identifier: MIT */
/* Patch sites proved before they are written (see site_check.h). */
#include "engine/site_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "common/error.h"
#include "state/state_check.h"

/* The bytes the object's file has at [site, site + len): the code as loaded. */
static int file_bytes(struct xs_session *s, uint64_t site, uint32_t len, uint8_t *out)
{
	const struct xs_map *m = xs_maps_find(s->maps, site);
	char path[96];

	if (!m || len > m->end - site || m->perms[2] != 'x' || m->perms[3] != 'p' || !m->inode ||
	    m->path[0] != '/' || !strncmp(m->path, "/memfd:", 7))
		return xs_fail(-EPROTO, "pid %d: 0x%llx is not in the code of one of its files",
		               s->pid, (unsigned long long)site);
	if (s->site_fd < 0 || s->site_fd_start != m->start) {
		if (s->site_fd >= 0)
			close(s->site_fd);
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", s->pid,
		         (unsigned long long)m->start, (unsigned long long)m->end);
		s->site_fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (s->site_fd < 0)
			return xs_fail(-errno, "pid %d: cannot open %s (%s)", s->pid, path,
			               m->path);
		s->site_fd_start = m->start;
	}
	if (pread(s->site_fd, out, len, (off_t)(m->offset + (site - m->start))) != (ssize_t)len)
		return xs_fail(-EIO, "pid %d: cannot read %u bytes of %s at 0x%llx", s->pid, len,
		               m->path, (unsigned long long)site);
	return 0;
}

/* A jump from site into the text of a loaded payload other than slot `not`. */
static bool jump_into_payload(struct xs_session *s, uint64_t site, const uint8_t *b, uint32_t len,
                              int not )
{
	uint64_t to;

	if (!xs_arch_decode_jump(b, len, site, &to))
		return false;
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *q = &s->state->payloads[i];

		if (i != not &&q->used && to >= q->text_start && to < q->text_end &&
		    !xs_state_region_check(q, s->maps, s->pid))
			return true;
	}
	xs_error_clear();
	return false;
}

static int check_record(struct xs_session *s, int slot, uint32_t i, const struct xs_fstate *f)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	uint64_t site = f->old_addr + f->patch_offset;
	uint8_t orig[XSPLICE_EXPECT_MAX], want[XSPLICE_EXPECT_MAX];
	int rc = file_bytes(s, site, f->len, orig);

	if (rc)
		return xs_fail(rc, "payload %s: function %u: its site is not in the process's code",
		               p->id, i);
	if (f->new_addr)
		rc = f->len == XS_ARCH_PATCH_SIZE ? xs_arch_encode_jump(site, f->new_addr, want) :
		                                    -EINVAL;
	else
		xs_arch_encode_nops(want, f->len);
	if (rc || memcmp(want, f->written, f->len))
		return xs_fail(
		    -EPROTO,
		    "payload %s: function %u at 0x%llx: its record holds bytes to write that xsplice would not write",
		    p->id, i, (unsigned long long)site);
	if (memcmp(orig, f->saved, f->len) && !jump_into_payload(s, site, f->saved, f->len, slot))
		return xs_fail(
		    -EPROTO,
		    "payload %s: function %u at 0x%llx: the bytes to restore are neither the code of %s nor a jump into a loaded payload",
		    p->id, i, (unsigned long long)site, xs_maps_find(s->maps, site)->path);
	return 0;
}

int xs_site_check_records(struct xs_session *s, int slot, const struct xs_fstate *fs, uint32_t n)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	/* A load's payload, planned before it is mapped (upload.h): it will be
	 * mapped as xsplice maps one, by this run. */
	bool previewed = s->overlay && !s->t && p->base == s->overlay_addr;
	int rc = previewed ? 0 : xs_state_region_check(p, s->maps, s->pid);

	for (uint32_t i = 0; !rc && i < n; i++)
		if (fs[i].len)
			rc = check_record(s, slot, i, &fs[i]);
	return rc;
}
