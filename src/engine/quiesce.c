/* SPDX-License-Identifier: MIT */
/*
 * Quiescence: the user-space version of the seed's rendezvous. Every thread
 * is stopped; each stack is unwound with DWARF CFI; patching may proceed only
 * when no frame lies in code being replaced. Otherwise every thread runs
 * again, a little while or until the thread that stays (sleeping in the
 * function) returns from it, and the process is stopped and looked at anew:
 * no stop lasts longer than one look, whatever the timeout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/busy_report.h"
#include "engine/coroutines.h"
#include "engine/engine_int.h"
#include "common/error.h"

#define MAX_FRAMES 256
#define QUICK_RETRIES 3 /* resume-and-look-again rounds before running a thread out */
#define NUDGE_STEPS 16  /* instructions a thread stopped without CFI is stepped, at most */
#define NUDGE_MS 2      /* ... and for how long */
#define MAX_NUDGES 16   /* threads stepped in one stop, at most */
#define ALONE_MS 3      /* without a breakpoint of its own: how long a thread runs alone */
#define BETWEEN_MS 10   /* ... and how long everyone runs before the next try */
#define STOP_MIN_MS 50  /* bound for stopping every thread again, at least */
#define NOTE_MS 1000    /* a wait that may last longer says what it waits for */

struct xs_conflict {
	size_t thread;
	size_t frame; /* the outermost unsafe frame */
	const struct xs_range *range;
	uint64_t pc;
	struct xs_frame frames[MAX_FRAMES];
	size_t nframes;
	int unwind_rc;       /* non-zero: the stack could not be unwound */
	struct xs_busy busy; /* what an EBUSY (or a long wait) will say */
	uint64_t coroutines; /* the process's xsplice_coroutines, 0: none */
	bool in_coroutine;   /* the conflict is a coroutine's (co) */
	struct xs_coroutine_hit co;
};

void xs_conflict_set_coroutines(struct xs_conflict *c, uint64_t list)
{
	if (c)
		c->coroutines = list;
}

struct xs_conflict *xs_conflict_new(void)
{
	struct xs_conflict *c = malloc(sizeof(*c));

	if (c)
		memset(c, 0, sizeof(*c)); /* faulted in now */
	return c;
}

void xs_conflict_free(struct xs_conflict *c)
{
	if (c)
		xs_busy_done(&c->busy);
	free(c);
}

struct xs_busy *xs_conflict_busy(struct xs_conflict *c)
{
	return c ? &c->busy : NULL;
}

static int by_start(const void *a, const void *b)
{
	const struct xs_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void xs_ranges_sort(struct xs_range *r, size_t n)
{
	qsort(r, n, sizeof(*r), by_start);
	for (size_t i = 0; i < n; i++)
		r[i].reach = i && r[i - 1].reach > r[i].end ? r[i - 1].reach : r[i].end;
}

/* The last range starting at or below pc, then back while one may still reach it. */
const struct xs_range *xs_ranges_find(uint64_t pc, const struct xs_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	if (!n || pc < r[0].start || pc >= r[n - 1].reach)
		return NULL; /* most frames: libc, the vDSO, code far from the sites */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k-- > 0 && r[k].reach > pc;)
		if (pc < r[k].end)
			return &r[k];
	return NULL;
}

static bool has_cfi(void *arg, uint64_t pc)
{
	return xs_unwinder_has_cfi(arg, pc);
}

/*
 * Thread t stands where there is no CFI at all (glibc's clone3 and clone
 * between their system call and the next CFI, a thread just born there):
 * step it, alone, to code that has some; the others stay stopped. Never a
 * guessed frame, and no walk that would fail (the first failure reads the
 * object's debug information: ~40 ms). 1 when it moved (or exited): look
 * at it again; 0 when it did not; -ECANCELED when the process ran execve
 * meanwhile (named: nothing more is done in it).
 */
static int nudge(struct xs_session *s, struct xs_unwinder *u, size_t t, unsigned *budget)
{
	pid_t tid = s->t->threads[t].tid;
	uint64_t pc = xs_arch_pc(&s->t->threads[t].regs);
	int rc;

	if (!*budget || xs_unwinder_has_cfi(u, pc))
		return 0;
	(*budget)--;
	rc = xs_target_step_to(s->t, t, NUDGE_STEPS, NUDGE_MS, has_cfi, u);
	if (rc == -ECANCELED)
		return rc;
	if (rc)
		xs_debug("pid %d: thread %d at 0x%llx, without CFI, not moved to code with CFI: %s",
		         s->pid, tid, (unsigned long long)pc, xs_error_message());
	xs_error_clear();
	return rc == 0;
}

/* c->range: the outermost of c's frames in r, if any. */
static void find_range(struct xs_conflict *c, const struct xs_range *r, size_t n)
{
	for (size_t k = 0; k < c->nframes; k++) {
		/* A return address may sit just past its call, at the next function. */
		uint64_t pc = c->frames[k].pc - (k > 0);
		const struct xs_range *hit = xs_ranges_find(pc, r, n);

		if (hit) {
			c->frame = k;
			c->range = hit;
			c->pc = c->frames[k].pc;
		}
	}
}

/* 1 and fills c when some thread is unsafe, 0 when all are safe, -ECANCELED
 * when the process ran execve under us. */
static int find_conflict(struct xs_session *s, struct xs_unwinder *u, const struct xs_range *r,
                         size_t n, struct xs_conflict *c)
{
	unsigned budget = MAX_NUDGES;

	for (size_t t = 0; t < s->t->nthreads;) {
		size_t nf = 0;
		int rc = nudge(s, u, t, &budget);

		if (rc < 0)
			return rc;
		if (rc)
			continue; /* the same index: it, or the thread after it if it exited */
		rc = xs_unwind_thread(u, s->t, t, c->frames, MAX_FRAMES, &nf);
		c->thread = t;
		c->nframes = nf;
		c->range = NULL;
		c->unwind_rc = rc;
		if (rc) {
			c->pc = nf ? c->frames[nf - 1].pc : 0;
			return 1;
		}
		find_range(c, r, n);
		if (c->range)
			return 1;
		t++;
	}
	return 0;
}

/* Note c's thread (found unsafe) in b, or in *th when th is set. */
static void note(struct xs_session *s, struct xs_conflict *c, struct xs_busy_thread *th)
{
	const struct xs_thread *t = &s->t->threads[c->thread];

	if (c->unwind_rc) /* the frames walked, else its PC */
		xs_busy_add(&c->busy, th, t->tid, false, c->frames, c->nframes, 0,
		            xs_arch_pc(&t->regs), -1, 0);
	else
		xs_busy_add(&c->busy, th, t->tid, true, c->frames, c->nframes, c->frame, c->pc,
		            c->range->slot, c->range->func);
}

/*
 * Out of time: every thread still unsafe is noted, the one found first and
 * those after it (those before it were safe in this same stop), for the
 * report made after the release (busy_report.h). The message set here, in
 * case that report cannot be made, reads nothing more of the process.
 */
static int busy(struct xs_session *s, struct xs_unwinder *u, const struct xs_range *r, size_t n,
                struct xs_conflict *c)
{
	pid_t first = s->t->threads[c->thread].tid;

	c->busy.waited_ms = (long)(xs_now_ms() - c->busy.start_ms);
	for (size_t t = c->thread;;) {
		note(s, c, NULL);
		for (;;) {
			if (++t >= s->t->nthreads)
				goto done;
			c->thread = t;
			c->range = NULL;
			c->nframes = 0;
			/* No walk that would fail slowly (see nudge): its PC says it. */
			if (!xs_unwinder_has_cfi(u, xs_arch_pc(&s->t->threads[t].regs))) {
				c->unwind_rc = -EIO;
				break;
			}
			c->unwind_rc =
			    xs_unwind_thread(u, s->t, t, c->frames, MAX_FRAMES, &c->nframes);
			if (c->unwind_rc)
				break;
			find_range(c, r, n);
			if (c->range)
				break;
		}
	}
done:
	xs_error_clear();
	c->busy.set = true;
	return xs_fail_kind(
	    XS_FAIL_BUSY, -EBUSY,
	    "pid %d: %zu thread(s) still in code being replaced, %zu not known to be safe, after %ld ms (thread %d first)",
	    s->pid, c->busy.nin, c->busy.nunwound, c->busy.waited_ms, first);
}

/* After the threads: the process's listed coroutines (coroutines.h). */
static int coroutine_conflict(struct xs_session *s, struct xs_unwinder *u, const struct xs_range *r,
                              size_t n, struct xs_conflict *c)
{
	int rc = xs_coroutines_check(s->t, u, c->coroutines, r, n, c->frames, MAX_FRAMES, &c->co);

	c->in_coroutine = rc == 1;
	return rc;
}

static int coroutine_busy(struct xs_session *s, const struct xs_conflict *c)
{
	const struct xs_coroutine_hit *h = &c->co;
	char name[128];

	xs_error_clear();
	if (!h->range)
		return xs_fail_kind(
		    XS_FAIL_BUSY, -EBUSY,
		    "pid %d: coroutine %u of xsplice_coroutines (ucontext_t at 0x%llx, resuming at 0x%llx) could not be unwound, so it is not known to be safe",
		    s->pid, h->index, (unsigned long long)h->ctx, (unsigned long long)h->pc);
	if (!h->range->func)
		return xs_fail_kind(
		    XS_FAIL_BUSY, -EBUSY,
		    "pid %d: coroutine %u of xsplice_coroutines (ucontext_t at 0x%llx) is suspended in the code of payload %s (pc 0x%llx)",
		    s->pid, h->index, (unsigned long long)h->ctx,
		    s->state->payloads[h->range->slot].id, (unsigned long long)h->pc);
	xs_func_name(s, h->range->slot, h->range->func - 1, name, sizeof(name));
	return xs_fail_kind(
	    XS_FAIL_BUSY, -EBUSY,
	    "pid %d: coroutine %u of xsplice_coroutines (ucontext_t at 0x%llx) is suspended in function %s (pc 0x%llx)",
	    s->pid, h->index, (unsigned long long)h->ctx, name, (unsigned long long)h->pc);
}

/*
 * The thread parked in the function runs until it returns from it, the
 * others with it: a breakpoint only it meets ends the run, with it held
 * there. Without one, it runs alone for ALONE_MS at most, and then everyone
 * for BETWEEN_MS. Returns with every thread stopped.
 */
static int run_out(struct xs_session *s, const struct xs_conflict *c, long left, long stop_ms)
{
	const struct xs_frame *caller = &c->frames[c->frame + 1];
	int rc;

	xs_debug("pid %d: running thread %d out of %s", s->pid, s->t->threads[c->thread].tid,
	         c->range->func ? "a function being patched" : "the payload's code");
	rc = xs_target_run_out(s->t, c->thread, caller->pc, caller->sp, left, stop_ms);
	if (rc == -EOPNOTSUPP) {
		rc = xs_target_run_until_return(s->t, c->thread, caller->pc, caller->sp,
		                                left < ALONE_MS ? left : ALONE_MS);
		if (rc == -ETIMEDOUT) {
			xs_error_clear();
			rc = xs_target_run_for(s->t, BETWEEN_MS, stop_ms);
		}
	}
	if (rc == -ETIMEDOUT) {
		xs_error_clear();
		rc = 0; /* looked at again; the deadline ends it */
	}
	return rc;
}

int xs_quiesce(struct xs_session *s, struct xs_unwinder *u, struct xs_conflict *c,
               const struct xs_range *ranges, size_t n, long long deadline_ms)
{
	int round = 0, rc = 0;

	if (!c)
		return xs_fail(-ENOMEM, "pid %d: no memory for the stack check", s->pid);
	xs_busy_begin(&c->busy, s->pid, s->state);
	for (;;) {
		int conflict = find_conflict(s, u, ranges, n, c);
		long left, stop_ms;

		c->in_coroutine = false;
		if (!conflict)
			conflict = coroutine_conflict(s, u, ranges, n, c);

		xs_unwinder_stop_walked(u); /* later stops read the tops themselves */
		if (conflict <= 0) {
			rc = conflict;
			break;
		}
		left = (long)(deadline_ms - xs_now_ms());
		if (left <= 0) {
			rc = c->in_coroutine ? coroutine_busy(s, c) : busy(s, u, ranges, n, c);
			break;
		}
		stop_ms = left > STOP_MIN_MS ? left : STOP_MIN_MS;
		round++;
		if (round <= QUICK_RETRIES || c->in_coroutine || c->unwind_rc ||
		    c->frame + 1 >= c->nframes) {
			long ms = round < 2 ? 1 : round < 3 ? 5 : 10;

			/* Said in the release this run makes (busy_report.h). */
			if (round == 1 && left > NOTE_MS && !c->busy.note_done && !c->unwind_rc &&
			    !c->in_coroutine) {
				note(s, c, &c->busy.note);
				c->busy.note_due = true;
			}

			rc = xs_target_run_for(s->t, ms < left ? ms : left, stop_ms);
		} else {
			rc = run_out(s, c, left, stop_ms);
		}
		if (rc)
			break;
	}
	return rc;
}
