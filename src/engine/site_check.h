/* SPDX-License-Identifier: MIT */
/*
 * What xsplice may find at a patch site and leave there. The per-function
 * records say which bytes to write where, and the target can forge them, so
 * before a record's bytes are written anywhere they must be bytes xsplice
 * could have written: at an entry inside one of the process's own executable
 * files, the file's own bytes there, or the patch jump from there into the
 * text of a loaded payload (or the no-op fill of a NOP patch).
 */
#ifndef XS_SITE_CHECK_H
#define XS_SITE_CHECK_H

#include <stdint.h>

#include "state/session.h"

/* Records fs[0..n) of payload slot: -EPROTO naming the function unless every
 * record with a length passes (the payload's region checked first). */
int xs_site_check_records(struct xs_session *s, int slot, const struct xs_fstate *fs, uint32_t n);

#endif
