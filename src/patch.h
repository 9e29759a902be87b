/* SPDX-License-Identifier: MIT */
/*
 * Patch sites: computing, writing and undoing the bytes at each old
 * function's entry, and putting back an action a killed run left half done.
 */
#ifndef XS_PATCH_H
#define XS_PATCH_H

#include <stdbool.h>

#include "session.h"

/* Fill fs[] for applying payload slot (reads each entry: endbr64, saved bytes). */
int xs_patch_prepare(struct xs_session *s, int slot, const struct xsplice_func *funcs,
		     struct xs_fstate *fs);
/* Write every site: apply writes fs.written, revert puts fs.saved back.
 * Refuses (-EIO) when a site holds neither what it expects, before any write. */
int xs_patch_write(struct xs_session *s, int slot, struct xs_fstate *fs, bool apply,
		   const char *crash_point);
/* The bytes the running code had before any payload patched this site. */
int xs_patch_original(struct xs_session *s, uint64_t old_addr, unsigned char *buf, size_t len);

#endif
