/* SPDX-License-Identifier: MIT */
/*
 * What an EBUSY says: the stop only notes raw facts (tids, return addresses,
 * which function of which payload); once the threads run again they are
 * named and symbolized into the error line and the lines that go with it
 * (error.h's details), and into the one line a long wait prints.
 */
#ifndef XS_BUSY_REPORT_H
#define XS_BUSY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state/state.h"
#include "unwind/unwind.h"

struct xs_symbolizer;

#define XS_BUSY_THREADS 8 /* threads listed with their stacks; the rest are counted */
#define XS_BUSY_FRAMES 16 /* frames listed per thread, innermost first */
#define XS_BUSY_FUNCS 4   /* functions named in the error line; the rest are counted */

struct xs_busy_func {
	int slot;      /* the payload */
	uint32_t func; /* 1 + index in its funcs table; 0: the payload's own code */
};

struct xs_busy_thread {
	pid_t tid;
	bool unwound;     /* false: its stack could not be walked (frames[0] is its PC) */
	uint32_t nframes; /* in frames */
	uint32_t total;   /* frames walked */
	uint32_t hit;     /* the outermost frame in code being replaced */
	uint64_t hit_pc;
	int slot;      /* the payload whose code it is in (-1: not unwound) */
	uint32_t func; /* as in xs_busy_func */
	uint64_t frames[XS_BUSY_FRAMES];
};

/* A payload as the registry had it in the stop (hostile: escaped when shown). */
struct xs_busy_payload {
	char id[XS_ID_MAX];
	bool used;
	uint64_t base, size, funcs_addr;
	uint32_t nfuncs;
};

/* Filled in the stop (xs_busy_begin, xs_busy_add), read after it (xs_busy_report). */
struct xs_busy {
	pid_t pid;
	long long start_ms; /* the action's start (xs_now_ms) */
	long timeout_ms;
	bool set; /* an EBUSY of xs_quiesce: report it */
	long waited_ms;
	size_t nin;      /* threads in code being replaced */
	size_t nunwound; /* threads whose stack could not be walked */
	size_t nthreads; /* in th: the first of both kinds */
	struct xs_busy_thread th[XS_BUSY_THREADS];
	size_t nfuncs, more_funcs;
	struct xs_busy_func funcs[XS_BUSY_FUNCS];
	struct xs_busy_payload payloads[XS_STATE_MAX_PAYLOADS];
	/* The line a long wait prints once, in a release (xs_busy_wait_note). */
	bool note_due, note_done;
	struct xs_busy_thread note;
	struct xs_symbolizer *z; /* made after the stop, for the note and the report */
	/* A payload gone again before the report (a load taken out): the name
	 * of its function func (1 + index) from its file, NULL: not that one. */
	const char *(*name_of)(const void *arg, const char *id, uint32_t func);
	const void *name_arg;
};

/* Forget what an earlier stop noted; the payloads as st has them. No
 * allocation, no system call: called in the stop. */
void xs_busy_begin(struct xs_busy *b, pid_t pid, const struct xs_state *st);
/*
 * In the stop: note thread tid, unsafe. unwound: frames[0..n) its stack, of
 * which frames[hit] (pc) is the outermost in function func (1 + index, 0:
 * the payload's own code) of the payload in slot. Not unwound: the frames
 * walked before the walk failed, else pc (its registers'). Counted in b and
 * listed in b->th while there is room; with th, only written to *th.
 */
void xs_busy_add(struct xs_busy *b, struct xs_busy_thread *th, pid_t tid, bool unwound,
                 const struct xs_frame *frames, size_t n, size_t hit, uint64_t pc, int slot,
                 uint32_t func);
/* Free what the report and the note made (not b). */
void xs_busy_done(struct xs_busy *b);

/* After the release: the EBUSY's message (kind busy) and its detail lines,
 * named and symbolized. Returns -EBUSY. */
int xs_busy_report(struct xs_busy *b);
/* While the threads run: when note_due, print (once) what the wait is for. */
void xs_busy_wait_note(struct xs_busy *b);

#endif
