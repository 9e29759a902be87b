/* SPDX-License-Identifier: MIT */
/*
 * Patch sites: computing, writing and undoing the bytes at each old
 * function's entry, and putting back an action a killed run left half done.
 */
#ifndef XS_PATCH_H
#define XS_PATCH_H

#include <stdbool.h>

#include "target/code_runs.h"
#include "state/session.h"

/*
 * One payload's sites, ready to switch: its per-function records (to apply:
 * made from its functions and the entries they patch, endbr64 and the bytes
 * to save; to revert: read back) and the runs of code around the sites,
 * allocated. Made while the process runs when nothing before it in the stop
 * changes those sites (a plain apply or revert), else in the stop.
 */
struct xs_sites {
	uint32_t n;
	struct xs_fstate *fs;
	struct xs_runs *code;
	bool records_written; /* an apply's records, written before the stop */
	bool edited;          /* the code runs checked and changed before the stop */
	/* xs_sites_reread_stopped's result, good while the target's era is this */
	int reread;
	unsigned long reread_era;
};

/* Attached or not (reads go through the session). */
int xs_sites_prepare(struct xs_session *s, int slot, bool apply, struct xs_sites *x);
void xs_sites_free(struct xs_sites *x);
/* Before the stop, for sites nothing earlier in the stop changes: read the
 * code around them, check and change it in our copy (x->edited), so that the
 * stop only compares and writes. Best effort: on any failure the stop does
 * it all. */
void xs_sites_edit_ahead(struct xs_session *s, int slot, bool apply, struct xs_sites *x);
/*
 * The target's all_stopped hook (arg: the sites): the edited runs read again
 * as soon as every thread has stopped, while the registers cannot be read
 * yet. xs_patch_write uses what it found if nothing ran or was written since.
 */
void xs_sites_reread_stopped(struct xs_target *t, void *arg);
/* In the stop: read every site, which must hold what the switch expects (to
 * apply, the bytes prepare saw; to revert, the bytes written), else -EIO
 * before any write; then write apply's fs.written or revert's fs.saved (an
 * apply's records were written before its journal; a revert's stay as they
 * were: a REVERTED payload's records are read by no one). *untouched: it
 * failed before writing anything. */
int xs_patch_write(struct xs_session *s, int slot, struct xs_sites *x, bool apply,
                   const char *crash_point, bool *untouched);

#endif
