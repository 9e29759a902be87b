/* SPDX-License-Identifier: MIT */
/*
 * A session is one xsplice run against one process: the registry snapshot,
 * and, for actions that change the process, every thread stopped. Opening an
 * attached session first finishes or undoes any action a killed run left.
 */
#ifndef XS_SESSION_H
#define XS_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#include "state/state.h"
#include "target/maps.h"
#include "target/target.h"
#include "target/warm_pages.h"

struct xs_session {
	pid_t pid;
	struct xs_target *t;        /* NULL when not attached */
	uint64_t state_addr;        /* 0: the process has no registry yet */
	struct xs_state *state;     /* local copy; written back by xs_session_commit */
	bool created_state;         /* this session made the registry */
	size_t span;                /* slots in use when read: commits write at least these */
	struct xs_pages warm;       /* for the stop a later session makes: warm_pages.h */
	struct xs_stop_hooks hooks; /* for it too (warm is taken from above) */
	bool head_unchanged;        /* hooks.before_stop saw the registry as this session read it */
	uint64_t start;             /* the process's start time: with pid, its identity */
	struct xs_maps *maps;       /* its mappings, read at the open (xs_session_maps_fresh) */
	int site_fd;                /* site_check.c: the file of the mapping below, or -1 */
	uint64_t site_fd_start;
	/* Unattached: reads of [overlay_addr, +overlay_len) see these bytes, a
	 * payload planned but not mapped yet (upload.h's preview). */
	const unsigned char *overlay;
	uint64_t overlay_addr;
	size_t overlay_len;
};

/* Read the registry, attaching (stopping every thread) when attach is set.
 * An attached open undoes any action a killed run left half done; a
 * read-only one writes nothing. */
int xs_session_open(pid_t pid, bool attach, long timeout_ms, struct xs_session **out);
/* Attach, taking over the registry an unattached session (before) read
 * moments ago: only its header is read again unless its version changed. */
int xs_session_open_again(pid_t pid, long timeout_ms, struct xs_session *before,
                          struct xs_session **out);
/* The same, holding one thread only (xs_target_attach_one), the others
 * running: for changes no thread can see until they are done (a payload
 * mapped, written and registered, or unmapped once nothing refers to it).
 * -EAGAIN when a journal needs undoing (that needs the whole stop), or no
 * thread waits (xs_target_attach_one). */
int xs_session_open_one(pid_t pid, long timeout_ms, struct xs_session *before,
                        struct xs_session **out);
void xs_session_close(struct xs_session *s);
/* Read the process's mappings again (after the attach, for what the stop maps
 * or unmaps). */
int xs_session_maps_fresh(struct xs_session *s);
/* Whether the run that wrote journal j is still running (pid and start time). */
bool xs_journal_owner_alive(const struct xs_journal *j);

/* Create the registry in the target when it has none (attached only). */
int xs_session_ensure_state(struct xs_session *s);
/* The address of the shadow variables' anchor (XS_STATE_PAYLOAD_AREA), in
 * the registry, which is made when the process has none. */
int xs_session_shadow_anchor(struct xs_session *s, uint64_t *addr);
/* The same, read only (attached or not): 0 when there is no registry yet. */
uint64_t xs_session_shadow_anchor_at(const struct xs_session *s);
/* The system calls xs_session_ensure_state will run, for a seccomp plan made
 * before anything changes (values known only then are 0): how many, 0 when
 * the process has a registry. */
#define XS_STATE_CALLS 7
size_t xs_session_state_calls(const struct xs_session *s, struct xs_syscall out[XS_STATE_CALLS]);
/* Run a system call in the target (attached); a -errno result is an error. */
int xs_session_syscall(struct xs_session *s, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, long *ret);
int xs_session_run(struct xs_session *s, const struct xs_syscall *c, long *ret);
/* Remove a registry this session created that holds no payload. */
void xs_session_drop_empty_state(struct xs_session *s);
/* Bump the version and write the registry back (attached only). */
int xs_session_commit(struct xs_session *s);

/* The slot of payload id, or -ENOENT with a message. */
int xs_session_find(struct xs_session *s, const char *id);

/* Read target memory, through the door when attached. */
int xs_session_read(struct xs_session *s, uint64_t addr, void *buf, size_t len);

/* Per-function state of a payload: read or write the whole array. */
int xs_fstate_read(struct xs_session *s, int slot, struct xs_fstate *fs);
int xs_fstate_write(struct xs_session *s, int slot, const struct xs_fstate *fs);

/* Undo an action a killed run left half done (attached only). */
int xs_session_recover(struct xs_session *s);

/* Test hook: when XSPLICE_TEST_PAUSE_AT names this point, create
 * $XSPLICE_TEST_PAUSE_FILE.ready and wait (20 s at most) for
 * $XSPLICE_TEST_PAUSE_FILE to exist, so that a test can act meanwhile. */
void xs_pause_point(const char *name);

#endif
