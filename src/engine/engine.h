/* SPDX-License-Identifier: MIT */
/*
 * The engine: the actions of the seed design on one process. Each returns 0
 * or -errno with a message naming the payload, symbol or section at fault;
 * on error the process is left exactly as it was.
 */
#ifndef XS_ENGINE_H
#define XS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state/state.h"

#define XS_DEFAULT_TIMEOUT_MS 1000
/* The longest --timeout: an hour. Deadlines are computed in us from it, and
 * an action that waits longer than this is better retried by its operator. */
#define XS_MAX_TIMEOUT_MS 3600000L

/* Flags of xs_upload and xs_load. */
enum {
	/* Copies of a replaced function's old code the payload leaves in place
	 * (inlined into a caller, a clone) are warnings, not a refusal. */
	XS_ALLOW_INLINED = 1u << 0,
};

int xs_upload(pid_t pid, const char *id, const char *path, unsigned flags);
int xs_check(pid_t pid, const char *id);
int xs_apply(pid_t pid, const char *id, long timeout_ms);
int xs_revert(pid_t pid, const char *id, long timeout_ms);
int xs_replace(pid_t pid, const char *id, long timeout_ms);
int xs_unload(pid_t pid, const char *id);
/* upload + check + apply as one action: when check or apply fails, the
 * payload is unloaded again and the process is as it was. */
int xs_load(pid_t pid, const char *id, const char *path, long timeout_ms, unsigned flags);
/* Undo an action a killed run left half done, and claim a registry the
 * process inherited from its parent (no-op when neither). */
int xs_recover(pid_t pid);
/* Whether a snapshot shows an action in progress; *owner_running: its run is
 * still there (else it was killed, and any changing command undoes it). */
bool xs_interrupted(const struct xs_state *st, bool *owner_running);

/* A snapshot of the registry (all zero when the process has none). */
int xs_snapshot(pid_t pid, struct xs_state *out);
/*
 * One function of a payload as info, list and get show it (docs/cli.md),
 * from its file or from the process: a field the source does not know is
 * left as "unknown" (printed null). Filled by xs_payload_funcs (process) or
 * the CLI's info (file).
 */
struct xs_func_view {
	char *old;      /* the function it patches, "sym" or "file.c#sym" (malloc'd) */
	char *new_name; /* the replacement's symbol (malloc'd); NULL: a NOP, or unknown */
	bool nop;       /* NOP new_size bytes in place instead of a jump */
	bool placed;    /* old_addr, new_addr, old_size known (in a process) */
	uint64_t old_addr, new_addr;
	uint32_t old_size; /* in a file: 0 unless the author gave it */
	uint32_t new_size; /* bytes a NOP patch overwrites (0 for a replacement) */
	int applied;       /* 1 or 0 in a process (its bytes are in place), -1 unknown */
	struct xsplice_expect expect;
};
/* A loaded payload's functions, read from the process (view[i].old NULL
 * never: "0x<address>" when the name cannot be read). Free with
 * xs_func_views_free. */
int xs_payload_funcs(pid_t pid, const struct xs_state_payload *p, struct xs_func_view **out);
void xs_func_views_free(struct xs_func_view *v, size_t n);

#endif
