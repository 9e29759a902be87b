/* SPDX-License-Identifier: MIT */
/*
 * The registry inside the target: which payloads are loaded, their status,
 * where their pieces live, and the journal of the action in progress. It is
 * a private mapping of a sealed memfd named "xsplice-state", so a later
 * xsplice run (or a debugger) finds it in /proc/<pid>/maps, and a forked
 * child gets its own copy, as it gets its own copy of the code. The
 * per-function state lives in each payload's own rw pages, never in its funcs
 * table. The target can write all of it: every field is checked before use
 * (state_check.h).
 */
#ifndef XS_STATE_H
#define XS_STATE_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>

#include "payload/payload.h"

#define XS_STATE_MAGIC 0x3154415453505358ULL /* "XSPSTAT1" */
#define XS_STATE_ABI 2
#define XS_STATE_NAME "xsplice-state"
#define XS_STATE_MAX_PAYLOADS 64
#define XS_ID_MAX 40 /* including the NUL */
#define XS_PATH_MAX 256
/* The registry's mapping ends with this many bytes of payload code's: xsplice
 * never reads or writes them (the target may). The first word anchors the
 * shadow variables' table (include/xsplice/shadow.h, XSPLICE_SHADOW_ANCHOR). */
#define XS_STATE_PAYLOAD_AREA 64
/* Seals the registry's memfd carries: its size can never change (no SIGBUS
 * for a reader, no truncation by a child that inherited it). */
#define XS_STATE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* Status numbers as in the seed design. */
enum xs_status {
	XS_STATUS_LOADED = 0,
	XS_STATUS_CHECKED = 2,
	XS_STATUS_APPLIED = 3,
	XS_STATUS_REVERTED = 4,
};
const char *xs_status_name(int status);

/* Per function, written by the engine; rw; apart from the read-only funcs.
 * Trusted only while the payload is APPLIED or named in the journal: a lone
 * apply writes them just before its stop, which may never come, and a
 * revert leaves them as they were (applied still set); the next apply makes
 * them anew. */
struct xs_fstate {
	uint64_t old_addr; /* resolved old function */
	uint64_t new_addr; /* replacement, 0 for a NOP patch */
	uint32_t old_size;
	uint32_t new_size;
	uint32_t patch_offset; /* bytes skipped at entry (endbr64) */
	uint32_t len;          /* bytes written at old_addr + patch_offset */
	uint8_t applied;       /* 1 while our bytes are in place */
	uint8_t pad[7];
	uint8_t saved[XSPLICE_EXPECT_MAX];   /* the bytes we replaced */
	uint8_t written[XSPLICE_EXPECT_MAX]; /* the bytes we wrote */
};

struct xs_state_payload {
	char id[XS_ID_MAX];
	int32_t used;
	int32_t status; /* enum xs_status */
	int32_t rc;     /* result of the last action: 0 or -errno */
	uint32_t nfuncs;
	uint64_t apply_seq;            /* position in the applied stack, 0 when not applied */
	struct xs_build_id build_id;   /* the payload's own */
	struct xs_build_id target_id;  /* the object it patches */
	struct xs_build_id depends_id; /* len 0: none */
	char object[XS_PATH_MAX];      /* path of the patched object (for display) */
	uint64_t base, size;           /* the payload's whole mapping */
	uint64_t text_start, text_end; /* its code: no thread may be in it at revert */
	uint64_t funcs_addr;           /* read-only struct xsplice_func[nfuncs] */
	uint64_t fstate_addr;          /* struct xs_fstate[nfuncs], rw */
	uint64_t eh_frame_addr, eh_frame_size; /* to unwind through its code */
	uint64_t stub_addr; /* the return stub in its text, for hooks (xs_target_call) */
	uint64_t hooks_addr[XS_HOOK_COUNT]; /* arrays of hook pointers, in the target */
	uint32_t nhooks[XS_HOOK_COUNT];
};

enum xs_action {
	XS_ACTION_NONE = 0,
	XS_ACTION_APPLY = 1,
	XS_ACTION_REVERT = 2,
	XS_ACTION_REPLACE = 3,
};

/* The action in progress: enough to put every involved payload back. */
struct xs_journal {
	uint32_t action;      /* enum xs_action; NONE when idle */
	int32_t owner;        /* pid of the xsplice run doing it */
	uint64_t owner_start; /* and its start time: the pid may be reused */
	uint32_t count;
	uint32_t pad;
	struct {
		int32_t slot; /* payload slot */
		int32_t prev_status;
		uint64_t prev_seq;
	} entries[XS_STATE_MAX_PAYLOADS];
};

struct xs_state {
	uint64_t magic;
	uint32_t abi;
	uint32_t version;  /* bumped on every change: tells a stale snapshot;
				 * starts at random when the registry is made */
	uint64_t next_seq; /* next apply_seq */
	/* The process the records describe (pid, start time): a forked child
	 * finds its parent's here, and claims its copy at its first change. */
	int32_t owner_pid;
	uint32_t pad;
	uint64_t owner_start;
	struct xs_journal journal;
	struct xs_state_payload payloads[XS_STATE_MAX_PAYLOADS];
};

#endif
