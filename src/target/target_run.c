/* SPDX-License-Identifier: MIT */
/*
 * Letting the target run for a while between two stops, still attached,
 * without holding any thread: every ptrace stop that comes meanwhile is
 * answered at once. And running one thread out of a frame meanwhile, with a
 * breakpoint on its return address that only that thread meets.
 *
 * Every thread runs on its own registers (xs_tgt_resume puts them back and
 * forgets their signal frames): should xsplice die now, the kernel lets
 * them go on as they are. The breakpoint is a perf event whose only
 * reference is our fd: it goes with us. An execve met meanwhile ends it
 * all: the thread that ran it stays in its exec stop, untouched, and the
 * action fails (xs_tgt_execed); exits are reaped as they come (waitpid of
 * any child), which an execve's de_thread waits for.
 */
#include "target/target_int.h"

#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"

#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event's SIGTRAP */
#endif

/* The thread being run out, and what ends its run. */
struct watch {
	pid_t tid;             /* 0: none */
	uint64_t ret_addr, sp; /* it returns to ret_addr with its SP at sp or above */
	bool hit;              /* it did: held there, its registers in threads[] */
	bool gone;             /* it exited */
};

/* --- our breakpoint's SIGTRAP ------------------------------------------------------- */

/* glibc names no si_perf_data: in the kernel's siginfo it follows si_addr. */
static uint64_t perf_data(const siginfo_t *si)
{
	uint64_t v;

	memcpy(&v, (const char *)si + offsetof(siginfo_t, si_addr) + sizeof(void *), sizeof(v));
	return v;
}

bool xs_tgt_our_trap(const struct xs_tgt *g, const siginfo_t *si)
{
	return g->trap_cookie && si->si_signo == SIGTRAP && si->si_code == TRAP_PERF &&
	       perf_data(si) == g->trap_cookie;
}

static bool hw_break_wanted(void)
{
	const char *env = getenv("XSPLICE_HW_BREAK");

	return !env || strcmp(env, "0");
}

/*
 * A perf hardware breakpoint on executing addr, in thread i only: it sends
 * the thread a SIGTRAP (si_perf_data: our cookie) that reaches us first, as
 * its tracer, and is never delivered. Not forced: a thread that blocks
 * SIGTRAP (traps_blocked) would keep it pending, so such a thread gets none.
 * The fd, or -EOPNOTSUPP (silent: the caller has another way).
 */
static bool traps_blocked(struct xs_tgt *g, size_t i)
{
	uint64_t blk, ign, cgt;

	return xs_tgt_sigmasks(g->pub.pid, g->pub.threads[i].tid, &blk, &ign, &cgt) ||
	       (blk & (1ull << (SIGTRAP - 1)));
}

static int arm(struct xs_tgt *g, size_t i, uint64_t addr)
{
	pid_t tid = g->pub.threads[i].tid;
	struct perf_event_attr a;
	int fd;

	while (!g->trap_cookie)
		g->trap_cookie = ((uint64_t)random() << 32) ^ (uint64_t)xs_now_ns() ^ (uint64_t)tid;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_X;
	a.bp_addr = addr;
	a.bp_len = XS_ARCH_EXEC_BREAK_LEN;
	a.sample_period = 1;
	a.sigtrap = 1;
	a.remove_on_exec = 1; /* the kernel asks for it with sigtrap */
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.sig_data = g->trap_cookie;
	fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		xs_debug("pid %d: no hardware breakpoint for thread %d: perf_event_open: %s",
		         g->pub.pid, tid, strerror(errno));
		return -EOPNOTSUPP;
	}
	return fd;
}

/* --- answering stops ----------------------------------------------------------------- */

/* Thread i, stopped, goes on at once. */
static void go_on(struct xs_tgt *g, size_t i, int req, int sig)
{
	if (xs_tgt_resume_one(g, i, req, sig)) {
		/* Killed meanwhile: its exit is collected at the next stop. */
		g->pub.threads[i].stopped = false;
		g->ts[i].awaiting = true;
	} else if (req == PTRACE_LISTEN) {
		g->ts[i].listening = true;
	}
}

/*
 * 1: the watched thread is back at its return address (held there, in the
 * signal-delivery-stop of our SIGTRAP, which goes nowhere: we let it go
 * without it, and a tracer's death drops the signal of the stop its tracee
 * is in); 0: a deeper call returned there (recursion), it goes on.
 */
static int watched_trap(struct xs_tgt *g, size_t i, struct watch *w)
{
	xs_regs r;
	int rc = xs_tgt_getregs(g, i, &r);

	if (rc)
		return rc;
	if (xs_arch_pc(&r) != w->ret_addr || xs_arch_sp(&r) < w->sp)
		return 0;
	g->pub.threads[i].regs = r;
	w->hit = true;
	return 1;
}

/* A signal-delivery-stop: the signal is delivered now (its siginfo is still
 * the kernel's), unless it is our breakpoint's. */
static int answer_signal(struct xs_tgt *g, size_t i, int sig, struct watch *w)
{
	pid_t tid = g->pub.threads[i].tid;
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof(si));
	if (sig == SIGTRAP && !ptrace(PTRACE_GETSIGINFO, tid, 0, &si) && xs_tgt_our_trap(g, &si)) {
		if (w && tid == w->tid) {
			rc = watched_trap(g, i, w);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		sig = 0;
	}
	go_on(g, i, PTRACE_CONT, sig);
	return 0;
}

/* A thread's exit booked: the process gone, or (the leader's exit with the
 * process still there) an execve by another thread, which takes its place. */
static int gone(struct xs_tgt *g, long long until_us)
{
	if (!g->gone)
		return 0;
	if (xs_tgt_exec_follows(g, until_us))
		return xs_tgt_execed(g);
	return xs_fail(-ESRCH, "pid %d exited", g->pub.pid);
}

/*
 * Exits reaped early by a wait for another thread (target_wait.c's
 * reap_exited: while we take one thread back to a stop, an execve's
 * de_thread may kill the others), which waitpid will not report again:
 * booked now, as the wait of each would have.
 */
static int book_reaped(struct xs_tgt *g, struct watch *w, long long until_us)
{
	for (size_t i = 0; i < g->pub.nthreads;) {
		pid_t tid = g->pub.threads[i].tid;
		enum xs_ev ev;
		int sig;

		if (!g->ts[i].exited) {
			i++;
			continue;
		}
		g->ts[i].exited = false;
		ev = xs_tgt_event(g, i, g->ts[i].status, &sig);
		if (ev != XS_EV_GONE) { /* a status kept is an exit's: never so */
			i++;
			continue;
		}
		if (w && tid == w->tid)
			w->gone = true;
		xs_tgt_drop(g, i);
		if (g->gone)
			return gone(g, until_us);
	}
	return 0;
}

static int answer(struct xs_tgt *g, pid_t tid, int status, struct watch *w, long long until_us)
{
	ssize_t i = xs_tgt_find(g, tid);
	enum xs_ev ev;
	int sig;

	if (i < 0) {
		/* A new thread reporting before its creator's clone event; a clone
		 * that made a process rather than a thread is let go. */
		if (!xs_tgt_thread_of(g, tid)) {
			if (WIFSTOPPED(status))
				ptrace(PTRACE_DETACH, tid, 0, 0);
			return 0;
		}
		i = xs_tgt_add(g, tid, true);
		if (i < 0)
			return (int)i;
	}
	ev = xs_tgt_event(g, (size_t)i, status, &sig);
	/* The new program's: nothing of ours goes into it, not even a PTRACE_CONT. */
	if (g->execed)
		return xs_tgt_execed(g);
	switch (ev) {
	case XS_EV_GONE:
		if (w && tid == w->tid)
			w->gone = true;
		xs_tgt_drop(g, (size_t)i);
		return gone(g, until_us);
	case XS_EV_GROUP:
		go_on(g, (size_t)i, PTRACE_LISTEN, 0);
		return 0;
	case XS_EV_SIGNAL:
		return answer_signal(g, (size_t)i, sig, w);
	default: /* a new thread's first stop, a clone event, an interrupt left over */
		go_on(g, (size_t)i, PTRACE_CONT, 0);
		return 0;
	}
}

/* Answer every stop until until_us, or until the watched thread is back or gone. */
static int serve(struct xs_tgt *g, long long until_us, struct watch *w)
{
	int rc = 0;

	while (!rc && !(w && (w->hit || w->gone))) {
		pid_t tid;
		int st;

		rc = book_reaped(g, w, until_us);
		if (rc || (w && w->gone))
			break;
		rc = xs_tgt_wait_any(g, &tid, &st, until_us);
		if (rc == -ETIMEDOUT) {
			rc = 0;
			break;
		}
		if (rc == -ECHILD) {
			g->gone = true;
			rc = xs_fail(-ESRCH, "pid %d exited", g->pub.pid);
		} else if (rc) {
			rc = xs_fail(rc, "pid %d: waiting for its threads", g->pub.pid);
		} else {
			rc = answer(g, tid, st, w, until_us);
		}
	}
	xs_tgt_alarm_disarm(); /* it repeats past the deadline */
	return rc;
}

int xs_target_run_for(struct xs_target *t, long ms, long stop_ms)
{
	struct xs_tgt *g = xs_tgt(t);
	int rc = xs_target_resume(t);

	if (!rc && g->released)
		g->released(t, g->released_arg);
	if (!rc)
		rc = serve(g, xs_tgt_deadline(ms), NULL);
	if (!rc)
		rc = xs_target_stop(t, stop_ms);
	xs_seccomp_forget(g); /* the threads ran: they may have added filters */
	xs_tgt_unblock();
	return rc;
}

/* --- running one thread out ------------------------------------------------------------ */

/* The watched thread still runs at the end: stop it first (a trap at this
 * very moment still counts), so that the breakpoint can go. */
static int catch_watched(struct xs_tgt *g, struct watch *w)
{
	ssize_t i = xs_tgt_find(g, w->tid);
	enum xs_ev ev;
	int rc, sig;

	if (i < 0) {
		w->gone = true;
		return 0;
	}
	if (g->pub.threads[i].stopped)
		return 0;
	rc = xs_tgt_interrupt(g, (size_t)i);
	while (!rc) {
		rc = xs_tgt_wait_stop(g, (size_t)i, xs_tgt_deadline(XS_TGT_STEP_MS), &ev, &sig);
		if (rc == -ECANCELED) /* an execve: named already */
			return rc;
		if (rc)
			return xs_fail(rc, "pid %d: thread %d did not stop", g->pub.pid, w->tid);
		if (ev == XS_EV_GONE) {
			w->gone = true;
			xs_tgt_drop(g, (size_t)i);
			return g->gone ? xs_fail(-ESRCH, "pid %d exited", g->pub.pid) : 0;
		}
		if (ev == XS_EV_CLONE) { /* on its way to the interrupt */
			if (xs_tgt_resume_one(g, (size_t)i, PTRACE_CONT, 0))
				return xs_fail(-ESRCH, "pid %d: thread %d is gone", g->pub.pid,
				               w->tid);
			continue;
		}
		if (ev == XS_EV_SIGNAL) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			ptrace(PTRACE_GETSIGINFO, w->tid, 0, &si);
			if (xs_tgt_our_trap(g, &si)) {
				rc = watched_trap(g, (size_t)i, w);
				if (rc)
					return rc < 0 ? rc : 0;
			} else {
				xs_tgt_record_signal(g, (size_t)i, sig, &si);
			}
			/* The interrupt is still due: it stops again when let go. */
		}
		break;
	}
	return rc ? rc : xs_tgt_getregs(g, (size_t)i, &g->pub.threads[i].regs);
}

int xs_target_run_out(struct xs_target *t, size_t i, uint64_t ret_addr, uint64_t sp,
                      long timeout_ms, long stop_ms)
{
	struct xs_tgt *g = xs_tgt(t);
	struct watch w;
	ssize_t at;
	int fd, rc, rc2;

	if (g->gone)
		return xs_fail(-ESRCH, "pid %d has exited", t->pid);
	if (i >= t->nthreads || !t->attached || !t->threads[i].stopped)
		return xs_fail(-EINVAL, "pid %d: no stopped thread #%zu to run out", t->pid, i);
	if (!hw_break_wanted() || traps_blocked(g, i))
		return -EOPNOTSUPP;
	w = (struct watch){ t->threads[i].tid, ret_addr, sp, false, false };
	/* The others go first: making the breakpoint can take ~10 ms (the
	 * kernel's breakpoint slots wait for an RCU grace period). */
	rc = xs_tgt_resume(g, i);
	fd = rc ? -1 : arm(g, i, ret_addr);
	if (!rc && fd < 0) { /* stopped again; the caller has another way */
		xs_tgt_unblock();
		rc = xs_target_stop(t, stop_ms);
		return rc ? rc : -EOPNOTSUPP;
	}
	if (!rc)
		rc = xs_tgt_resume_one_thread(g, i);
	if (!rc)
		rc = serve(g, xs_tgt_deadline(timeout_ms), &w);
	if (w.hit) /* held where it returned, the others still running */
		xs_crash_point("run-out-held");
	rc2 = g->gone || g->execed ? 0 : catch_watched(g, &w);
	rc = rc ? rc : rc2;
	if (fd >= 0)
		close(fd); /* the thread is stopped or gone: no more traps */
	/* One sent while it blocked SIGTRAP waits in its queue: once unblocked
	 * after we let go, it would kill the process. */
	at = w.gone ? -1 : xs_tgt_find(g, w.tid);
	if (!rc && at >= 0)
		rc = xs_tgt_take_back_trap(g, (size_t)at);
	if (!rc)
		rc = xs_target_stop(t, stop_ms);
	xs_seccomp_forget(g); /* the threads ran: they may have added filters */
	xs_tgt_unblock();
	if (rc || w.hit || w.gone)
		return rc;
	return xs_fail(-ETIMEDOUT, "pid %d: thread %d did not return to 0x%llx within %ld ms",
	               t->pid, w.tid, (unsigned long long)ret_addr, timeout_ms);
}
