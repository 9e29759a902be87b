/* SPDX-License-Identifier: MIT */
/*
 * Waiting for ptrace reports (always bounded), booking what each report means
 * for its thread, and leaving stops the right way: registers put back exactly,
 * the kernel's syscall-restart path taken, dequeued signals re-delivered with
 * their original siginfo.
 */
#include "target/target_int.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"

#define SLICE_US 5000 /* longest sleep between waitpid polls when SIGCHLD works */
#define POLL_US 20    /* sleep between polls when SIGCHLD is ignored here */
#define LEADER_CHECK_US 10000
#define STOP_SPIN_US 50 /* a thread on another CPU stops within tens of us */

/*
 * Ptrace stops reach us as SIGCHLD. It is blocked lazily, by the first wait
 * that has to sleep, then taken with sigtimedwait so a stop wakes us at once;
 * xs_tgt_unblock() puts the caller's mask back at the end of each public call.
 */
static __thread bool chld_blocked;
static __thread sigset_t chld_saved;

long long xs_tgt_deadline(long timeout_ms)
{
	return xs_now_us() + (timeout_ms > 0 ? timeout_ms : 1) * 1000LL;
}

static void block_sigchld(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &chld_saved) == 0)
		chld_blocked = true;
}

void xs_tgt_unblock(void)
{
	if (chld_blocked)
		sigprocmask(SIG_SETMASK, &chld_saved, NULL);
	chld_blocked = false;
}

static void sleep_for_report(struct xs_tgt *g, long long us)
{
	struct timespec ts;
	sigset_t set;

	if (g->poll_wait || !chld_blocked) {
		us = us < POLL_US ? us : POLL_US;
		ts = (struct timespec){ 0, us * 1000 };
		nanosleep(&ts, NULL);
		return;
	}
	us = us < SLICE_US ? us : SLICE_US;
	ts = (struct timespec){ us / 1000000, (us % 1000000) * 1000 };
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigtimedwait(&set, NULL, &ts); /* EAGAIN or EINTR: poll again either way */
}

static void reap_exited(struct xs_tgt *g, pid_t tid);

/* Next report of tid: 0 with *status, -ETIMEDOUT, or -ECHILD (not ours any more). */
int xs_tgt_wait(struct xs_tgt *g, pid_t tid, int *status, long long deadline_us)
{
	long long spin_end = g->spin_until < deadline_us ? g->spin_until : deadline_us;
	bool block;

	while (g->block_wait && xs_now_us() < spin_end) { /* see maybe_spin */
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);

		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			break; /* reported below */
	}
	block = g->block_wait && xs_tgt_alarm_arm(deadline_us);

	for (;;) {
		pid_t r = waitpid(tid, status, __WALL | (block ? 0 : WNOHANG));
		long long left;

		if (r == tid)
			return 0;
		if (r < 0) {
			if (errno != EINTR)
				return -errno;
			if (block && xs_now_us() >= deadline_us)
				return -ETIMEDOUT;
			continue;
		}
		if (!chld_blocked && !g->poll_wait) {
			block_sigchld(); /* and poll once more: a stop just before is not signalled */
			continue;
		}
		reap_exited(g, tid);
		left = deadline_us - xs_now_us();
		if (left <= 0)
			return -ETIMEDOUT;
		sleep_for_report(g, left);
	}
}

int xs_tgt_wait_any(struct xs_tgt *g, pid_t *tid, int *status, long long deadline_us)
{
	bool block = xs_tgt_alarm_arm(deadline_us);

	for (;;) {
		pid_t r = waitpid(-1, status, __WALL | (block ? 0 : WNOHANG));
		long long left;

		if (r > 0) {
			*tid = r;
			return 0;
		}
		if (r < 0) {
			if (errno != EINTR)
				return -errno;
			if (xs_now_us() >= deadline_us)
				return -ETIMEDOUT;
			continue;
		}
		if (!chld_blocked && !g->poll_wait) {
			block_sigchld(); /* and poll once more: a stop just before is not signalled */
			continue;
		}
		left = deadline_us - xs_now_us();
		if (left <= 0)
			return -ETIMEDOUT;
		sleep_for_report(g, left);
	}
}

/* A clone that made a new process rather than a thread was traced too: let it go. */
static void release_foreign(struct xs_tgt *g, pid_t child)
{
	int st;

	if (xs_tgt_wait(g, child, &st, xs_tgt_deadline(100)) == 0 && WIFSTOPPED(st))
		ptrace(PTRACE_DETACH, child, 0, 0);
}

bool xs_tgt_thread_of(struct xs_tgt *g, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", g->pub.pid, tid);
	return access(path, F_OK) == 0;
}

static void new_thread(struct xs_tgt *g, size_t i)
{
	unsigned long msg = 0;
	pid_t child;

	if (ptrace(PTRACE_GETEVENTMSG, g->pub.threads[i].tid, 0, &msg) < 0 || !msg)
		return;
	child = (pid_t)msg;
	if (xs_tgt_find(g, child) >= 0)
		return; /* seen in /proc/<pid>/task before its parent reported */
	if (xs_tgt_thread_of(g, child) && xs_tgt_add(g, child, true) >= 0)
		return;
	release_foreign(g, child);
}

/*
 * Book one wait status of thread i. A new thread from a clone event is added
 * to the table (which may move: callers hold indexes, not pointers).
 */
enum xs_ev xs_tgt_event(struct xs_tgt *g, size_t i, int status, int *sig)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	int s, ev;

	ts->awaiting = false;
	ts->listening = false;
	ts->live_ok = false;
	ts->si_current = false;
	*sig = 0;
	if (!WIFSTOPPED(status)) {
		/* A fatal signal takes the whole group; the leader reports last. */
		if (WIFSIGNALED(status) || th->tid == g->pub.pid)
			g->gone = true;
		th->stopped = false;
		ts->stop = XS_RUNNING;
		return XS_EV_GONE;
	}
	th->stopped = true;
	s = WSTOPSIG(status);
	ev = (unsigned)status >> 16;
	if (ev == PTRACE_EVENT_STOP) {
		ts->stop = s == SIGTRAP ? XS_STOP_TRAP : XS_STOP_GROUP;
		return s == SIGTRAP ? XS_EV_TRAP : XS_EV_GROUP;
	}
	if (ev) {
		ts->stop = XS_STOP_EVENT;
		if (ev == PTRACE_EVENT_EXEC)
			g->execed = true; /* and th is the thread that ran it, under the pid */
		if (ev != PTRACE_EVENT_CLONE)
			return XS_EV_OTHER;
		new_thread(g, i);
		return XS_EV_CLONE;
	}
	if (s == (SIGTRAP | 0x80)) { /* PTRACE_O_TRACESYSGOOD */
		ts->stop = XS_STOP_SYSCALL;
		return XS_EV_SYSCALL;
	}
	ts->stop = XS_STOP_SIGNAL;
	*sig = s;
	return XS_EV_SIGNAL;
}

/*
 * Another thread of ours exited while we wait for tid: the process is going,
 * or one thread runs execve, whose de_thread kills the others and waits until
 * they are reaped, by us, their tracer. So reap every exit there is, keeping
 * each status for the wait that books it; the execve then ends in a stop we
 * see (under the pid), the exit in tid's report. Peeks first (a tracee's
 * stops answer even a wait for exits only, so each is looked at before it
 * is taken): one, free when nothing is due, the usual case.
 */
static void reap_exited(struct xs_tgt *g, pid_t tid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 || !si.si_pid ||
	    si.si_pid == tid)
		return;
	for (size_t j = 0; j < g->pub.nthreads; j++) {
		pid_t t = g->pub.threads[j].tid;
		int st;

		if (t == tid || g->ts[j].exited)
			continue;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, t, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 || !si.si_pid ||
		    (si.si_code != CLD_EXITED && si.si_code != CLD_KILLED &&
		     si.si_code != CLD_DUMPED))
			continue;
		if (waitpid(t, &st, __WALL | WNOHANG) == t) {
			g->ts[j].exited = true;
			g->ts[j].status = st;
		}
	}
}

/* Next report of thread i, booked. -ECHILD (reaped elsewhere) counts as gone. */
int xs_tgt_wait_stop(struct xs_tgt *g, size_t i, long long deadline_us, enum xs_ev *ev, int *sig)
{
	int st, rc;

	if (g->ts[i].exited) {
		g->ts[i].exited = false;
		*ev = xs_tgt_event(g, i, g->ts[i].status, sig);
		return 0;
	}
	rc = xs_tgt_wait(g, g->pub.threads[i].tid, &st, deadline_us);

	if (rc == -ECHILD && g->pub.threads[i].tid != g->pub.pid &&
	    xs_tgt_exec_follows(g, deadline_us))
		return xs_tgt_execed(g); /* its tid went to the leader's */
	if (rc == -ECHILD) {
		g->pub.threads[i].stopped = false;
		g->ts[i].awaiting = false;
		g->ts[i].stop = XS_RUNNING;
		*ev = XS_EV_GONE;
		*sig = 0;
		return 0;
	}
	if (rc)
		return rc;
	*ev = xs_tgt_event(g, i, st, sig);
	return g->execed ? xs_tgt_execed(g) : 0;
}

/* GETREGSET/NT_PRSTATUS: the arch-neutral form of PTRACE_GETREGS. Silent. */
static int read_regs(struct xs_tgt *g, size_t i, xs_regs *r)
{
	struct iovec iov = { r, sizeof(*r) };

	if (ptrace(PTRACE_GETREGSET, g->pub.threads[i].tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	if (iov.iov_len != sizeof(*r))
		return -EIO;
	g->ts[i].live = *r;
	g->ts[i].live_ok = true;
	return 0;
}

int xs_tgt_getregs(struct xs_tgt *g, size_t i, xs_regs *r)
{
	int rc = read_regs(g, i, r);

	if (rc)
		return xs_fail(rc, "pid %d: cannot read the registers of thread %d", g->pub.pid,
		               g->pub.threads[i].tid);
	return 0;
}

int xs_tgt_setregs(struct xs_tgt *g, size_t i, const xs_regs *r)
{
	struct iovec iov = { (void *)r, sizeof(*r) };
	pid_t tid = g->pub.threads[i].tid;

	if (g->execed) /* registers of the old program: never into the new one */
		return xs_tgt_execed(g);
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return xs_fail(-errno, "pid %d: cannot write the registers of thread %d",
		               g->pub.pid, tid);
	g->ts[i].live = *r;
	g->ts[i].live_ok = true;
	return 0;
}

/* Put threads[i].regs back unless the kernel holds exactly those already. */
int xs_tgt_restore_regs(struct xs_tgt *g, size_t i)
{
	const xs_regs *want = &g->pub.threads[i].regs;

	if (g->ts[i].live_ok && !memcmp(&g->ts[i].live, want, sizeof(*want)))
		return 0;
	return xs_tgt_setregs(g, i, want);
}

/*
 * A signal was dequeued by thread i (we are in its signal-delivery-stop) but
 * is not for now: keep it, with its siginfo, to re-deliver when the thread
 * goes back to its own code.
 */
void xs_tgt_record_signal(struct xs_tgt *g, size_t i, int sig, const siginfo_t *si)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	siginfo_t mine;

	if (sig == SIGTRAP && g->trap_cookie) {
		memset(&mine, 0, sizeof(mine));
		if (!si && ptrace(PTRACE_GETSIGINFO, th->tid, 0, &mine) == 0)
			si = &mine;
		if (si && xs_tgt_our_trap(g, si))
			return; /* our breakpoint's, after all: dropped */
	}
	if (!th->pending_signal) {
		th->pending_signal = sig;
		if (si) {
			ts->si = *si;
			ts->si_valid = true;
		} else {
			ts->si_valid = ptrace(PTRACE_GETSIGINFO, th->tid, 0, &ts->si) == 0;
		}
		ts->si_current = true;
		return;
	}
	if (ts->nextra < XS_TGT_EXTRA_SIGS)
		ts->extra[ts->nextra++] = sig;
	else
		xs_debug("pid %d: thread %d: more than %d signals held, signal %d lost", g->pub.pid,
		         th->tid, XS_TGT_EXTRA_SIGS + 1, sig);
}

/* Leave a stop with req (PTRACE_CONT, _SYSCALL, _SINGLESTEP, _LISTEN). */
int xs_tgt_resume_one(struct xs_tgt *g, size_t i, int req, int sig)
{
	xs_target_new_era(&g->pub);
	if (ptrace(req, g->pub.threads[i].tid, 0, (void *)(long)sig) < 0)
		return -errno;
	g->pub.threads[i].stopped = false;
	g->ts[i].stop = XS_RUNNING;
	g->ts[i].need_regs = false;
	g->ts[i].live_ok = false;
	g->ts[i].si_current = false;
	return 0;
}

int xs_tgt_interrupt(struct xs_tgt *g, size_t i)
{
	/* ESRCH: it exited; the wait that follows reports that. */
	if (ptrace(PTRACE_INTERRUPT, g->pub.threads[i].tid, 0, 0) < 0 && errno != ESRCH)
		return xs_fail(-errno, "pid %d: cannot interrupt thread %d", g->pub.pid,
		               g->pub.threads[i].tid);
	g->ts[i].awaiting = true;
	g->ts[i].listening = false;
	return 0;
}

/*
 * Bring thread i from a stop outside the kernel's signal path (the exit of a
 * system call we injected, a clone event) into a PTRACE_EVENT_STOP inside it,
 * running no user code: only from there does leaving the stop take the
 * syscall-restart path that the saved registers (orig_rax, -ERESTART*) ask for.
 */
int xs_tgt_reenter(struct xs_tgt *g, size_t i)
{
	long long deadline = xs_tgt_deadline(XS_TGT_STEP_MS);
	bool was_event = g->ts[i].stop == XS_STOP_EVENT;
	pid_t tid = g->pub.threads[i].tid;
	enum xs_ev ev;
	int sig, rc;

	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || xs_tgt_resume_one(g, i, PTRACE_CONT, 0))
		return xs_fail(-errno, "pid %d: cannot move thread %d back to a stop", g->pub.pid,
		               tid);
	xs_crash_point("reenter");
	for (;;) {
		rc = xs_tgt_wait_stop(g, i, deadline, &ev, &sig);
		if (rc == -ETIMEDOUT)
			return xs_fail(rc, "pid %d: thread %d did not stop again within %d ms",
			               g->pub.pid, tid, XS_TGT_STEP_MS);
		if (rc)
			return rc;
		if (ev == XS_EV_GONE)
			return xs_fail(-ESRCH, "pid %d: thread %d exited", g->pub.pid, tid);
		if (ev == XS_EV_TRAP || ev == XS_EV_GROUP)
			break;
		if (ev == XS_EV_SIGNAL) {
			xs_tgt_record_signal(g, i, sig, NULL);
			break;
		}
		if (xs_tgt_resume_one(g, i, PTRACE_CONT, 0))
			return xs_fail(-errno, "pid %d: cannot continue thread %d", g->pub.pid,
			               tid);
	}
	/* Inside clone the registers were not final (rax): take the finished ones. */
	return was_event ? xs_tgt_getregs(g, i, &g->pub.threads[i].regs) : 0;
}

/* Before running injected code in thread i: never from inside clone(). */
int xs_tgt_make_clean(struct xs_tgt *g, size_t i)
{
	return g->ts[i].stop == XS_STOP_EVENT ? xs_tgt_reenter(g, i) : 0;
}

static bool signal_blocked(pid_t pid, pid_t tid, int sig)
{
	char val[32];

	if (xs_tgt_status_field(pid, tid, "SigBlk", val, sizeof(val)))
		return false;
	return (strtoull(val, NULL, 16) >> (sig - 1)) & 1;
}

/*
 * pending_signal was dequeued earlier, but thread i now sits in a stop where
 * PTRACE_CONT(sig) would drop it. Queue it again and let the thread take it
 * into a signal-delivery-stop (still in the kernel, no user code runs), then
 * put the original siginfo back. A signal blocked by now is simply queued.
 */
static int to_signal_stop(struct xs_tgt *g, size_t i, long long deadline)
{
	struct xs_thread *th = &g->pub.threads[i];
	pid_t pid = g->pub.pid, tid = th->tid;
	int sig = th->pending_signal, s, rc;
	enum xs_ev ev;

	if (syscall(SYS_tgkill, pid, tid, sig) < 0)
		return xs_fail(-errno, "pid %d: cannot re-send signal %d to thread %d", pid, sig,
		               tid);
	if (signal_blocked(pid, tid, sig)) {
		th->pending_signal = 0; /* stays queued in the kernel until unblocked */
		g->ts[i].si_valid = false;
		return 0;
	}
	for (;;) {
		if (xs_tgt_resume_one(g, i, PTRACE_CONT, 0))
			return xs_fail(-errno, "pid %d: cannot continue thread %d", pid, tid);
		rc = xs_tgt_wait_stop(g, i, deadline, &ev, &s);
		if (rc)
			return xs_fail(rc, "pid %d: thread %d did not take signal %d back", pid,
			               tid, sig);
		if (ev == XS_EV_GONE)
			return xs_fail(-ESRCH, "pid %d: thread %d exited", pid, tid);
		if (ev == XS_EV_SIGNAL && s == sig)
			break;
		if (ev == XS_EV_SIGNAL)
			xs_tgt_record_signal(g, i, s, NULL); /* another one: kept as extra */
	}
	if (g->ts[i].si_valid)
		ptrace(PTRACE_SETSIGINFO, tid, 0, &g->ts[i].si);
	g->ts[i].si_current = true;
	return 0;
}

/*
 * Make stopped thread i ready to go back to its own code: back into the
 * signal path, registers restored, pending signal ready to inject. Returns
 * the signal to pass to PTRACE_CONT/PTRACE_DETACH in *sig.
 */
int xs_tgt_prepare_release(struct xs_tgt *g, size_t i, long long deadline_us, int *sig)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	int rc = 0;

	*sig = 0;
	if (g->execed)
		return xs_tgt_execed(g);
	if (ts->stop == XS_STOP_SYSCALL || (ts->stop == XS_STOP_EVENT && th->pending_signal))
		rc = xs_tgt_reenter(g, i);
	if (!rc)
		rc = xs_tgt_restore_regs(g, i);
	if (!rc) {
		xs_tgt_frame_forget(g, i); /* it runs its own code next: its stack is its own */
		xs_crash_point("release-restored");
	}
	if (!rc && th->pending_signal && ts->stop != XS_STOP_SIGNAL)
		rc = to_signal_stop(g, i, deadline_us);
	if (rc || !th->pending_signal)
		return rc;
	if (!ts->si_current && ts->si_valid)
		ptrace(PTRACE_SETSIGINFO, th->tid, 0, &ts->si);
	*sig = th->pending_signal;
	return 0;
}

/* The leader after pthread_exit: a zombie that reports nothing until the rest exits. */
static bool leader_defunct(struct xs_tgt *g, size_t i)
{
	pid_t tid = g->pub.threads[i].tid;
	char s;

	if (tid != g->pub.pid)
		return false;
	s = xs_tgt_thread_state(g->pub.pid, tid);
	return s == 0 || s == 'Z' || s == 'X';
}

/*
 * Where every wait of a stop wakes at the latest: the deadline, or sooner to
 * see whether the leader is a zombie that will never report (wait_thread).
 * Shared by all threads, so the alarm is set once a stop, not re-set for
 * each wait: as the threads stop, our CPU is theirs.
 */
static long long wait_step(struct xs_tgt *g, long long deadline)
{
	long long now = xs_now_us();

	if (g->wait_step <= now)
		g->wait_step = now + LEADER_CHECK_US;
	return g->wait_step < deadline ? g->wait_step : deadline;
}

void xs_tgt_arm_waits(struct xs_tgt *g, long long deadline_us)
{
	xs_tgt_alarm_arm(wait_step(g, deadline_us));
}

static int wait_thread(struct xs_tgt *g, size_t i, long long deadline, enum xs_ev *ev, int *sig)
{
	bool leader = g->pub.threads[i].tid == g->pub.pid;

	for (;;) {
		long long step = wait_step(g, deadline);
		int rc = xs_tgt_wait_stop(g, i, step, ev, sig);

		if (rc != -ETIMEDOUT || step == deadline)
			return rc;
		reap_exited(g, g->pub.threads[i].tid);
		if (leader && leader_defunct(g, i)) {
			xs_tgt_ignore(g, g->pub.threads[i].tid);
			g->ts[i].awaiting = false;
			*ev = XS_EV_GONE;
			return 0;
		}
	}
}

static int stop_timeout(struct xs_tgt *g, size_t i, long timeout_ms)
{
	pid_t tid = g->pub.threads[i].tid;
	char s = xs_tgt_thread_state(g->pub.pid, tid);

	/* Busy for now (exit 75): a loaded machine or a thread in the kernel. */
	return xs_fail_kind(
	    XS_FAIL_BUSY, -ETIMEDOUT, "pid %d: thread %d did not stop within %ld ms (state %c%s)",
	    g->pub.pid, tid, timeout_ms, s ? s : '?', s == 'D' ? ", uninterruptible sleep" : "");
}

/* Book the report wait_thread brought for thread i; false when it is gone (dropped). */
static bool book_stop(struct xs_tgt *g, size_t i, enum xs_ev ev, int sig)
{
	if (ev == XS_EV_GONE) {
		xs_tgt_drop(g, i);
		return false;
	}
	if (ev == XS_EV_SIGNAL)
		xs_tgt_record_signal(g, i, sig, NULL);
	g->ts[i].need_regs = true;
	return true;
}

/* Registers of every thread booked by a wait; *again when one died meanwhile. */
static int read_booked_regs(struct xs_tgt *g, bool *again)
{
	for (size_t i = 0; i < g->pub.nthreads; i++) {
		int rc;

		if (!g->ts[i].need_regs)
			continue;
		g->ts[i].need_regs = false;
		rc = read_regs(g, i, &g->pub.threads[i].regs);
		if (rc == -ESRCH) { /* killed right now: its exit report follows */
			g->ts[i].awaiting = true;
			*again = true;
			continue;
		}
		if (rc)
			return xs_fail(rc, "pid %d: cannot read the registers of thread %d",
			               g->pub.pid, g->pub.threads[i].tid);
		if (g->regs_read)
			g->regs_read(g->regs_arg, i, g->pub.threads[i].tid, &g->pub.threads[i].regs,
			             g->pub.era);
	}
	return 0;
}

/*
 * Fewer threads to stop than CPUs: they can stop on the other CPUs within
 * tens of microseconds, well before a tracer asleep in waitpid is woken
 * so watch for them a little first. With more, a
 * spinning real-time tracer would keep them off the CPU they need.
 */
static void maybe_spin(struct xs_tgt *g)
{
	static long cpus;
	size_t due = 0;

	if (!cpus)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (size_t i = 0; i < g->pub.nthreads; i++)
		due += g->ts[i].awaiting;
	g->spin_until = due && (long)due < cpus ? xs_now_us() + STOP_SPIN_US : 0;
}

/*
 * Whether the kernel counts exactly the threads we hold: /proc/<pid>/task's
 * link count is the thread count plus two. Saves listing the directory
 * again while every thread waits. Not trusted with
 * ignored threads around, which may have exited unseen.
 */
static bool holding_all(struct xs_tgt *g)
{
	struct stat st;

	return g->nignored == 0 && g->pub.nthreads && fstat(g->task_fd, &st) == 0 &&
	       st.st_nlink == g->pub.nthreads + 2;
}

static int collect(struct xs_tgt *g, long long deadline_us, long timeout_ms, bool all,
                   bool whole_stop)
{
	int first = 0, rc;
	bool again = true;

	maybe_spin(g);
	while (again) {
		again = false;
		/*
		 * Every stop first, registers after: reading them as each thread
		 * stops would keep our CPU from the threads still on their way.
		 */
		for (size_t i = 0; i < g->pub.nthreads;) {
			enum xs_ev ev;
			int sig;

			if (!g->ts[i].awaiting) {
				i++;
				continue;
			}
			rc = wait_thread(g, i, deadline_us, &ev, &sig);
			if (rc == -ETIMEDOUT) {
				rc = stop_timeout(g, i, timeout_ms);
				if (!all)
					return rc;
				first = first ? first : rc;
				i++;
				continue;
			}
			if (rc)
				return rc;
			if (book_stop(g, i, ev, sig))
				i++;
		}
		xs_mark("stopped");
		/* Before the registers, whose reads wait for threads to leave their
		 * CPUs; and only once all are held (settle's first pass, before any
		 * interrupt, would read what is still changing). */
		if (whole_stop)
			g->counted_all = holding_all(g);
		if (whole_stop && g->counted_all && g->all_stopped)
			g->all_stopped(&g->pub, g->stopped_arg);
		xs_mark("read in the wait");
		rc = read_booked_regs(g, &again);
		xs_mark("regs");
		if (rc)
			return rc;
	}
	return first;
}

/*
 * Wait until every thread with a stop due has reported it: book signals, drop
 * threads that exited, read the registers of each thread now stopped. With
 * all, a thread that does not stop in time is skipped and the rest still
 * collected (detach); otherwise the first such thread ends it. With
 * whole_stop (the process stopped for an action), the all_stopped hook runs
 * once every stop is in, before the registers are read.
 */
int xs_tgt_collect(struct xs_tgt *g, long long deadline_us, long timeout_ms, bool all,
                   bool whole_stop)
{
	int rc;

	g->block_wait = true; /* every wait here is for a stop that is due */
	rc = collect(g, deadline_us, timeout_ms, all, whole_stop);
	g->block_wait = false;
	xs_tgt_alarm_disarm();
	return rc;
}

/*
 * Stops that happened while the threads ran (a signal, a new thread, a
 * re-trap after PTRACE_LISTEN). Taken before interrupting, because an
 * interrupt sent to a thread already stopped stays pending and would stop it
 * again right after the next resume. One waitid peek keeps this free when
 * nothing is waiting, which is the usual case.
 */
void xs_tgt_take_unsolicited(struct xs_tgt *g)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0 ||
	    !si.si_pid)
		return;
	for (size_t i = 0; i < g->pub.nthreads;) {
		struct xs_thread *th = &g->pub.threads[i];
		enum xs_ev ev;
		int st, sig;
		pid_t r;

		if (th->stopped || g->ts[i].awaiting) {
			i++;
			continue;
		}
		r = waitpid(th->tid, &st, __WALL | WNOHANG);
		if (r != th->tid && !(r < 0 && errno == ECHILD)) {
			i++;
			continue;
		}
		ev = r < 0 ? XS_EV_GONE : xs_tgt_event(g, i, st, &sig);
		if (ev == XS_EV_GONE) {
			xs_tgt_drop(g, i);
			continue;
		}
		if (ev == XS_EV_SIGNAL)
			xs_tgt_record_signal(g, i, sig, NULL);
		if (read_regs(g, i, &g->pub.threads[i].regs))
			g->ts[i].awaiting = true; /* probably dying: collect it with the rest */
		i++;
	}
}
