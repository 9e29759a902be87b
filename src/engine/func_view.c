/* SPDX-License-Identifier: MIT */
/*
 * A loaded payload's functions as list --json and get --json show them:
 * its funcs table (names, addresses the loader filled, expected bytes) and,
 * while it is APPLIED, its per-function records, read from the process
 * without stopping it. All of it is the target's: names are bounded here
 * and escaped where printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "common/error.h"
#include "target/target.h"

#define NAME_READ 256 /* bytes of a name read, at most */

void xs_func_views_free(struct xs_func_view *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].old);
		free(v[i].new_name);
	}
	free(v);
}

/* The name f points to; a shorter read near the end of its mapping; else its address. */
static char *name_of(pid_t pid, const struct xsplice_func *f)
{
	char buf[NAME_READ];

	for (size_t want = sizeof(buf) - 1; want >= 16; want /= 4)
		if (!xs_proc_read(pid, (uintptr_t)f->name, buf, want)) {
			buf[want] = '\0';
			return strdup(buf);
		}
	xs_error_clear();
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)(uintptr_t)f->old_addr);
	return strdup(buf);
}

/* Whether each function's bytes are in place: its record, trusted only
 * while the payload is APPLIED (state.h); -1 each when unreadable. */
static void read_applied(pid_t pid, const struct xs_state_payload *p, struct xs_func_view *v)
{
	struct xs_fstate *fs = NULL;
	bool ok = p->status == XS_STATUS_APPLIED;

	if (ok && p->nfuncs) {
		fs = calloc(p->nfuncs, sizeof(*fs));
		ok = fs && !xs_proc_read(pid, p->fstate_addr, fs, p->nfuncs * sizeof(*fs));
		if (!ok)
			xs_error_clear();
	}
	for (uint32_t i = 0; i < p->nfuncs; i++)
		v[i].applied = p->status != XS_STATUS_APPLIED ? 0 : !ok ? -1 : fs[i].applied != 0;
	free(fs);
}

int xs_payload_funcs(pid_t pid, const struct xs_state_payload *p, struct xs_func_view **out)
{
	size_t n = p->nfuncs ? p->nfuncs : 1;
	struct xsplice_func *funcs = calloc(n, sizeof(*funcs));
	struct xs_func_view *v = calloc(n, sizeof(*v));
	int rc = 0;

	if (!funcs || !v)
		rc = xs_fail(-ENOMEM, "payload %.*s: no memory", (int)sizeof(p->id), p->id);
	if (!rc)
		rc = xs_proc_read(pid, p->funcs_addr, funcs, p->nfuncs * sizeof(*funcs));
	for (uint32_t i = 0; !rc && i < p->nfuncs; i++) {
		const struct xsplice_func *f = &funcs[i];

		v[i] = (struct xs_func_view){
			.old = name_of(pid, f),
			.nop = !f->new_addr,
			.placed = true,
			.old_addr = (uintptr_t)f->old_addr,
			.new_addr = (uintptr_t)f->new_addr,
			.old_size = f->old_size,
			.new_size = f->new_addr ? 0 : f->new_size,
			.expect = f->expect,
		};
		if (!v[i].old)
			rc = xs_fail(-ENOMEM, "payload %.*s: no memory", (int)sizeof(p->id), p->id);
		/* Bounded for whoever prints it: the target wrote it. */
		if (v[i].expect.len > XSPLICE_EXPECT_MAX)
			v[i].expect.len = XSPLICE_EXPECT_MAX;
	}
	if (!rc)
		read_applied(pid, p, v);
	free(funcs);
	if (rc) {
		xs_func_views_free(v, p->nfuncs);
		return rc;
	}
	*out = v;
	return 0;
}
