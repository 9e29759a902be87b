/* SPDX-License-Identifier: MIT */
/*
 * UPLOAD in three steps, so that load can do it inside the stop of its apply:
 * prepared (files only), planned with an unattached session (place, link,
 * slot), placed in the stop (mapped, written, registered).
 */
#ifndef XS_UPLOAD_H
#define XS_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state/session.h"

struct xs_upload;

/* Read the payload, resolve what it patches and references, check copies:
 * nothing touches the process. */
int xs_upload_prepare(pid_t pid, const char *id, const char *path, unsigned flags,
                      struct xs_upload **out);
void xs_upload_free(struct xs_upload *u);
/* The name of function func (1 + index) of payload id, as its file has it;
 * NULL when u is not that payload (busy_report.h's name_of). */
const char *xs_upload_func_name(const void *u, const char *id, uint32_t func);
/*
 * Before the stop, with the unattached session before: a free slot (*slot),
 * a place, and the image linked there when it needs no IFUNC resolver call.
 * With preview, the slot of before's registry copy holds the record as the
 * stop will make it (status CHECKED) and reads of before at the payload's
 * addresses see the image, for an apply planned ahead; xs_upload_unpreview
 * takes both away again before the stop takes the copy over.
 */
int xs_upload_plan(struct xs_upload *u, struct xs_session *before, int *slot, bool preview);
void xs_upload_unpreview(struct xs_upload *u, struct xs_session *before, int slot);
/*
 * In the stop (s attached): map, write and register it (status CHECKED when
 * checked), load hooks run. *slot: where it is registered; *moved: not where
 * planned (the place or the slot was taken meanwhile): what was planned from
 * the preview no longer holds. On failure nothing of it stays.
 */
int xs_upload_place(struct xs_upload *u, struct xs_session *s, bool checked, int *slot,
                    bool *moved);

#endif
