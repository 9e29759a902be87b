/* SPDX-License-Identifier: MIT */
/*
 * The registry and the per-function records come from the target, which can
 * write every byte of them: like a payload, they are hostile input. These
 * checks run on our local copy before any field is used; each failure is
 * -EPROTO with one line naming the pid, the slot and the field.
 */
#ifndef XS_STATE_CHECK_H
#define XS_STATE_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/maps.h"
#include "state/state.h"

#define XS_STATE_MAX_FUNCS XS_PAYLOAD_MAX_FUNCS
#define XS_STATE_MAX_HOOKS 256           /* of one kind, in one payload */
#define XS_STATE_MAX_REGION (1ull << 31) /* one payload's mapping */
#define XS_STATE_MAX_EH_FRAME (16u << 20)

/* Every field of st within its limits, the layout of each payload inside its
 * own region, the journal naming used slots. Reads st only. */
int xs_state_check(const struct xs_state *st, pid_t pid);
/* n records of payload p (checked by xs_state_check): lengths, offsets, flags
 * and the new code inside p's text. */
int xs_fstate_check(const struct xs_state_payload *p, const struct xs_fstate *fs, uint32_t n,
                    pid_t pid);
/* p's region is mapped as upload maps it: anonymous and private throughout,
 * its text r-x, its records rw-. Not proof that xsplice made it (the target
 * could copy the shape), but nothing else of the target's looks like this. */
int xs_state_region_check(const struct xs_state_payload *p, const struct xs_maps *maps, pid_t pid);

/* Is id usable as a payload id (1..39 printable characters, no '/' or space)? */
int xs_id_check(const char *id);

#endif
