/* SPDX-License-Identifier: MIT */
/* Pieces shared by the engine's files; not for the CLI. */
#ifndef XS_ENGINE_INT_H
#define XS_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/session.h"
#include "unwind/unwind.h"

/*
 * Hooks run inside the process while it is stopped: all of one stop (every
 * kind, every payload) get the command's time bound, at most XS_HOOKS_STOP_MS,
 * and one call at most XS_HOOK_CALL_MS. A payload with thousands of hooks, or
 * one that never returns, holds the process no longer than that.
 */
#define XS_HOOKS_STOP_MS 2000
#define XS_HOOK_CALL_MS 1000
struct xs_hook_time {
	long bound_ms;      /* for the stop: min(timeout, XS_HOOKS_STOP_MS) */
	long long spent_us; /* in hook calls so far */
};
void xs_hook_time_init(struct xs_hook_time *ht, long timeout_ms);

/* Run a payload's hooks of one kind in the target (attached), counting their
 * time in ht. With veto, a non-zero return stops and fails with -ECANCELED
 * naming the hook; out of time, -ETIMEDOUT naming the hook. */
int xs_run_hooks(struct xs_session *s, int slot, int kind, bool veto, struct xs_hook_time *ht);

/* A payload's read-only funcs table, read back from the target. */
int xs_funcs_read(struct xs_session *s, int slot, struct xsplice_func *funcs);
/* The name a funcs table entry points to, read from the target, for a
 * message (its address when it cannot be read). */
void xs_func_read_name(struct xs_session *s, const struct xsplice_func *f, char *buf, size_t len);
/* The name of function i of a payload's funcs table, for a message (its
 * address, or its index, when it cannot be read). */
void xs_func_name(struct xs_session *s, int slot, uint32_t i, char *buf, size_t len);

struct xs_range {
	uint64_t start, end;
	const char *what; /* for the message: the payload's id */
	uint64_t reach;   /* set by xs_ranges_sort: the highest end up to this one */
	int slot;         /* the payload whose function or code it is */
	uint32_t func;    /* 1 + the function's index in its funcs table; 0: the payload's code */
};

/* Sort by start, for xs_quiesce's binary search (1000 functions, 128 threads). */
void xs_ranges_sort(struct xs_range *r, size_t n);
/* A range of r (sorted by xs_ranges_sort) holding pc, or NULL. */
const struct xs_range *xs_ranges_find(uint64_t pc, const struct xs_range *r, size_t n);

/* xs_quiesce's working memory (one thread's frames), made while the
 * process runs: fresh memory first touched in the stop costs a page fault
 * while every thread waits. NULL when out of memory. */
struct xs_conflict *xs_conflict_new(void);
void xs_conflict_free(struct xs_conflict *c);
/* The process's coroutine list (coroutines.h), checked after its threads. */
void xs_conflict_set_coroutines(struct xs_conflict *c, uint64_t list);
/* What its EBUSY will say (busy_report.h): the caller sets start_ms and
 * timeout_ms, and reports after the release. NULL when c is. */
struct xs_busy *xs_conflict_busy(struct xs_conflict *c);

/*
 * With every thread stopped: make sure no thread has a frame (its PC or a
 * return address) in ranges (sorted by xs_ranges_sort). A thread stopped
 * where there is no CFI is first stepped, alone, to code that has some.
 * Until deadline (xs_now_ms clock) it retries, every thread running
 * between two stops: after a short while, then until a parked thread
 * returns from its unsafe frame. Returns with every thread stopped; -EBUSY
 * with every unsafe thread noted in xs_conflict_busy(c), for the report.
 */
int xs_quiesce(struct xs_session *s, struct xs_unwinder *u, struct xs_conflict *c,
               const struct xs_range *ranges, size_t n, long long deadline_ms);

/* Register the code of every loaded payload with the unwinder. */
int xs_unwinder_add_payloads(struct xs_session *s, struct xs_unwinder *u);

/* engine.c's pieces the unload path (unload.c) shares. */
int xs_open_to_unload(pid_t pid, const char *id, bool attach, struct xs_session *before,
                      struct xs_session **s, int *slot);
/* -EINVAL naming the state unless the payload may be unloaded now. */
int xs_unload_allowed(struct xs_session *s, int slot);
/* Record the outcome of a failed action on the payload (attached); returns rc. */
int xs_fail_action(struct xs_session *s, int slot, int rc);
/* A failure found before stopping the process still goes on record (rc). */
int xs_record_failure(pid_t pid, const char *id, int slot, int rc);
/* unload.c's pieces a failed load uses to take its payload out again. */
/* 0 when no function still jumps into the payload, else -EBUSY. */
int xs_unreferenced(struct xs_session *s, int slot);
/* Unload hooks, out of the registry, then unmapped (attached; one: one thread held). */
int xs_drop_payload(struct xs_session *s, int slot, bool one);

#endif
