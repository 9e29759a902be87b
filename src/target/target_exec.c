/* SPDX-License-Identifier: MIT */
/*
 * Running code inside the stopped target: one system call (between the
 * PTRACE_SYSCALL stops around it), a function call that returns into a stub
 * of ours, one thread single-stepped, and one thread let run until it
 * returns from a frame. Everything bounded. Whatever runs returns through
 * the thread's signal frame (target_frame.c), so a thread we leave on it,
 * by dying, puts itself back.
 */
#include "target/target_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>

#include "common/error.h"

#define SIGACT_BYTES 64   /* >= any arch's kernel struct sigaction, kept as a blob */
#define SCRATCH_BELOW 512 /* our scratch bytes: this far below the signal frame */
#define MAX_FORCED 12     /* highest signal number in FORCED_SIGS, plus one */
#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event's SIGTRAP */
#endif

static inline uint64_t bit(int sig)
{
	return 1ull << (sig - 1);
}

/* Signals the kernel forces on a trap or fault (force_sig_fault). */
#define FORCED_SIGS (bit(SIGTRAP) | bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGFPE))

static int need_stopped(struct xs_tgt *g, size_t i)
{
	if (g->execed)
		return xs_tgt_execed(g);
	if (g->gone)
		return xs_fail(-ESRCH, "pid %d has exited", g->pub.pid);
	if (i >= g->pub.nthreads)
		return xs_fail(-EINVAL, "pid %d: no thread #%zu (it has %zu)", g->pub.pid, i,
		               g->pub.nthreads);
	if (!g->pub.attached || !g->pub.threads[i].stopped)
		return xs_fail(-EINVAL, "pid %d: thread %d is not stopped", g->pub.pid,
		               g->pub.threads[i].tid);
	return 0;
}

/* A step that should take microseconds did not end: stop the thread again. */
static int give_up(struct xs_tgt *g, size_t i, const char *what, long ms)
{
	enum xs_ev ev;
	siginfo_t si;
	int sig;

	memset(&si, 0, sizeof(si));
	/* A signal sent to the thread is kept; a trap or fault of our code is dropped. */
	if (!xs_tgt_interrupt(g, i) &&
	    !xs_tgt_wait_stop(g, i, xs_tgt_deadline(XS_TGT_STEP_MS), &ev, &sig) &&
	    ev == XS_EV_SIGNAL && !ptrace(PTRACE_GETSIGINFO, g->pub.threads[i].tid, 0, &si) &&
	    si.si_code <= 0)
		xs_tgt_record_signal(g, i, sig, &si);
	return xs_fail(-ETIMEDOUT, "pid %d: %s in thread %d did not finish within %ld ms",
	               g->pub.pid, what, g->pub.threads[i].tid, ms);
}

/*
 * Why PTRACE_SYSCALL and not a single-step: a step ends in a SIGTRAP the
 * kernel forces, which unblocks SIGTRAP and resets its handler when the
 * thread had it blocked, and a thread we die on mid-step takes that SIGTRAP
 * and dies too. Syscall stops are no signals. The thread is left in the exit
 * stop, about to return through its frame; xs_tgt_prepare_release() takes
 * it back into the signal path before it runs its own code again.
 */
int xs_tgt_inject_framed(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6], long *ret)
{
	long long deadline = xs_tgt_deadline(XS_TGT_STEP_MS);
	pid_t pid = g->pub.pid, tid = g->pub.threads[i].tid;
	uint64_t insn = g->pub.syscall_insn;
	int rc, sig, stops = 0;
	enum xs_ev ev;
	xs_regs r;

	r = g->pub.threads[i].regs;
	xs_arch_setup_syscall(&r, insn, nr, args, &g->ts[i].frame);
	rc = xs_tgt_setregs(g, i, &r);
	if (!rc)
		xs_crash_point("syscall-regs-set");
	while (!rc && stops < 2) { /* entry stop, then exit stop */
		if (xs_tgt_resume_one(g, i, PTRACE_SYSCALL, 0))
			return xs_fail(-errno, "pid %d: cannot run system call %ld in thread %d",
			               pid, nr, tid);
		rc = xs_tgt_wait_stop(g, i, deadline, &ev, &sig);
		if (rc == -ETIMEDOUT)
			return give_up(g, i, "an injected system call", XS_TGT_STEP_MS);
		if (!rc && ev == XS_EV_GONE)
			rc = xs_fail(-ESRCH, "pid %d: thread %d exited during system call %ld", pid,
			             tid, nr);
		else if (!rc && ev == XS_EV_SYSCALL)
			xs_crash_point(++stops == 1 ? "syscall-entry" : "syscall-exit");
		else if (!rc && ev == XS_EV_SIGNAL)
			xs_tgt_record_signal(g, i, sig, NULL); /* not now: re-delivered later */
	}
	if (!rc)
		rc = xs_tgt_getregs(g, i, &r);
	if (rc)
		return rc;
	if (xs_arch_pc(&r) != insn + XS_ARCH_SYSCALL_SIZE)
		return xs_fail(
		    -EIO, "pid %d: system call %ld in thread %d ended at 0x%llx, not after 0x%llx",
		    pid, nr, tid, (unsigned long long)xs_arch_pc(&r), (unsigned long long)insn);
	*ret = xs_arch_syscall_result(&r);
	return 0;
}

int xs_tgt_inject(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6], long *ret)
{
	int rc = xs_tgt_make_clean(g, i);

	if (!rc)
		rc = xs_tgt_frame(g, i);
	return rc ? rc : xs_tgt_inject_framed(g, i, nr, args, ret);
}

/* Both ends of an injection (target_mem.c): the seccomp check's instruction pointer too. */
static int need_syscall_insn(struct xs_tgt *g)
{
	int rc = xs_tgt_find_syscall(g);

	if (rc)
		return xs_fail(
		    rc,
		    "pid %d: no \"syscall; ret\" or no signal return found in its executable mappings",
		    g->pub.pid);
	return 0;
}

static int denied(struct xs_tgt *g, const struct xs_syscall_denial *why)
{
	const struct xs_syscall *c = why->refused;
	char what[192];

	xs_syscall_text(c, what, sizeof(what));
	return xs_fail(
	    -EPERM, "pid %d: no thread's seccomp filter allows %s%s%s (verdict %s in thread %d)",
	    g->pub.pid, what, c->what ? " " : "", c->what ? c->what : "", why->verdict, why->tid);
}

/* Where the next system call is tried first: the thread the last one ran in. */
static size_t preferred(struct xs_tgt *g)
{
	ssize_t i = g->sys_tid ? xs_tgt_find(g, g->sys_tid) : -1;

	return i >= 0 ? (size_t)i : 0;
}

/*
 * May thread i, and only it, run c, and the system calls of its signal
 * frame if it has none yet? The call asked for is checked first: a refusal
 * names it, not the frame's own calls.
 */
static int allowed_in(struct xs_tgt *g, size_t i, const struct xs_syscall *c)
{
	struct xs_syscall_denial why;
	int rc = need_syscall_insn(g);

	if (!rc)
		rc = xs_seccomp_pick(g, i, false, c, 1, &why);
	if (rc == -EPERM && why.verdict)
		return denied(g, &why);
	return rc < 0 ? rc : 0;
}

/* Run system call nr in thread i, and only there (its filters must allow it and its frame). */
static int checked_inject(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6], long *ret)
{
	struct xs_syscall c = { .nr = nr };
	int rc;

	memcpy(c.args, args, sizeof(c.args));
	rc = allowed_in(g, i, &c);
	return rc ? rc : xs_tgt_inject(g, i, nr, args, ret);
}

int xs_target_syscall(struct xs_target *t, long nr, const uint64_t args[6], long *ret)
{
	struct xs_tgt *g = xs_tgt(t);
	struct xs_syscall c = { .nr = nr };
	struct xs_syscall_denial why = { .verdict = NULL };
	int rc = g->gone || !t->attached ? need_stopped(g, 0) : need_syscall_insn(g);

	memcpy(c.args, args, sizeof(c.args));
	if (!rc)
		rc = xs_seccomp_pick(g, preferred(g), true, &c, 1, &why);
	if (rc == -EPERM && why.verdict)
		rc = denied(g, &why);
	if (rc >= 0) {
		g->sys_tid = t->threads[rc].tid;
		rc = xs_tgt_inject(g, (size_t)rc, nr, args, ret);
	}
	xs_tgt_unblock();
	return rc;
}

int xs_target_syscalls_allowed(struct xs_target *t, const struct xs_syscall *calls, size_t n,
                               struct xs_syscall_denial *why)
{
	struct xs_tgt *g = xs_tgt(t);
	int rc = g->gone || !t->attached ? need_stopped(g, 0) : need_syscall_insn(g);

	why->verdict = NULL;
	if (!rc)
		rc = xs_seccomp_pick(g, preferred(g), true, calls, n, why);
	if (rc >= 0) {
		g->sys_tid = t->threads[rc].tid;
		rc = 0;
	}
	return rc;
}

/* --- forced signals ------------------------------------------------------------ */

/*
 * A trap or fault in the thread makes the kernel force its signal: if the
 * thread blocks it, it is unblocked, and if it was blocked or ignored, its
 * action is reset to SIG_DFL (for the whole process). Save what a forced
 * signal would destroy before running code, put it back after.
 */
struct guard {
	uint64_t blocked; /* candidates the thread blocks */
	uint64_t saved;   /* candidates whose action we saved */
	uint64_t scratch; /* below the thread's signal frame */
	unsigned char act[MAX_FORCED][SIGACT_BYTES];
};

static int guard_syscall(struct xs_tgt *g, size_t i, long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t args[6] = { a0, a1, a2, XS_ARCH_SIGSET_SIZE, 0, 0 };
	long ret;
	int rc = checked_inject(g, i, nr, args, &ret);

	if (!rc && ret)
		rc = xs_fail(
		    -EIO, "pid %d: saving signal state of thread %d: system call %ld returned %ld",
		    g->pub.pid, g->pub.threads[i].tid, nr, ret);
	return rc;
}

/* Free stack below the thread's frame (our own code runs nowhere near it). */
static uint64_t scratch_of(struct xs_tgt *g, size_t i)
{
	return (g->ts[i].frame.base - SCRATCH_BELOW) & ~63ull;
}

static int guard_begin(struct xs_tgt *g, size_t i, uint64_t sigs, struct guard *gd)
{
	uint64_t blk, ign, cgt, need;
	int rc;

	gd->blocked = gd->saved = 0;
	if (xs_tgt_sigmasks(g->pub.pid, g->pub.threads[i].tid, &blk, &ign, &cgt))
		return xs_fail(-ESRCH, "pid %d: thread %d is gone", g->pub.pid,
		               g->pub.threads[i].tid);
	/*
	 * Only when it matters, and then with the frame made (free for a call,
	 * which has one already; run-until-return has none and usually needs
	 * none): a thread stopped in ppoll and the like shows that call's
	 * temporary mask until it leaves the stop, which making the frame does.
	 */
	if ((sigs & (blk | ign)) && !g->ts[i].frame.base) {
		rc = xs_tgt_frame(g, i);
		if (rc)
			return rc;
		if (xs_tgt_sigmasks(g->pub.pid, g->pub.threads[i].tid, &blk, &ign, &cgt))
			return xs_fail(-ESRCH, "pid %d: thread %d is gone", g->pub.pid,
			               g->pub.threads[i].tid);
	}
	gd->blocked = sigs & blk;
	/* Blocked with SIG_DFL needs no saved action: the reset changes nothing. */
	need = sigs & (blk | ign) & (cgt | ign);
	for (int s = 1; s < MAX_FORCED; s++) {
		if (!(need & bit(s)))
			continue;
		gd->scratch = scratch_of(g, i); /* the frame is made by now */
		rc = guard_syscall(g, i, SYS_rt_sigaction, (uint64_t)s, 0, gd->scratch);
		if (!rc)
			rc = xs_target_read(&g->pub, gd->scratch, gd->act[s], SIGACT_BYTES);
		if (rc)
			return rc;
		gd->saved |= bit(s);
	}
	return 0;
}

static int guard_end(struct xs_tgt *g, size_t i, uint64_t forced, struct guard *gd)
{
	uint64_t mask = forced & gd->blocked;
	int rc = 0;

	if (!(forced & (gd->saved | gd->blocked)))
		return 0;
	/* The thread may have run its own code since: a frame of now, scratch below it. */
	rc = xs_tgt_frame(g, i);
	gd->scratch = scratch_of(g, i);
	for (int s = 1; s < MAX_FORCED && !rc; s++) {
		if (!(forced & gd->saved & bit(s)))
			continue;
		rc = xs_target_write(&g->pub, gd->scratch, gd->act[s], SIGACT_BYTES);
		if (!rc)
			rc = guard_syscall(g, i, SYS_rt_sigaction, (uint64_t)s, gd->scratch, 0);
	}
	if (!rc && mask) {
		rc = xs_target_write(&g->pub, gd->scratch, &mask, sizeof(mask));
		if (!rc)
			rc = guard_syscall(g, i, SYS_rt_sigprocmask, SIG_BLOCK, gd->scratch, 0);
	}
	return rc;
}

/* --- calls ------------------------------------------------------------------------ */

/* 0: a signal for the thread, kept for later; -EFAULT: the callee crashed. */
static int call_signal(struct xs_tgt *g, uint64_t fn, int s, uint64_t *forced)
{
	pid_t pid = g->pub.pid, tid = g->pub.threads[0].tid;
	siginfo_t si;
	bool by_kernel;
	xs_regs r;
	int rc;

	memset(&si, 0, sizeof(si));
	by_kernel = ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 && si.si_code > 0;
	if (!by_kernel || !(FORCED_SIGS & bit(s))) {
		xs_tgt_record_signal(g, 0, s, &si); /* for the thread, later */
		return 0;
	}
	*forced |= bit(s);
	rc = xs_tgt_getregs(g, 0, &r);
	if (rc)
		return rc;
	return xs_fail(-EFAULT,
	               "pid %d: call to 0x%llx crashed with SIG%s at 0x%llx (address 0x%llx)", pid,
	               (unsigned long long)fn, sigabbrev_np(s), (unsigned long long)xs_arch_pc(&r),
	               (unsigned long long)(uintptr_t)si.si_addr);
}

/*
 * Run the callee under PTRACE_SYSCALL until it returns into the stub, whose
 * getpid's stops show it (the callee's own system calls stop too, and go
 * on). 0: returned, *ret set, the thread in the exit stop of that getpid.
 */
static int run_call(struct xs_tgt *g, uint64_t fn, uint64_t stub, long timeout_ms, uint64_t *ret,
                    uint64_t *forced)
{
	long long deadline = xs_tgt_deadline(timeout_ms);
	pid_t pid = g->pub.pid, tid = g->pub.threads[0].tid;
	bool returned = false;
	enum xs_ev ev;
	int rc, sig;
	xs_regs r;

	for (;;) {
		/* A signal pending for the thread waits: it is not its own code running. */
		if (xs_tgt_resume_one(g, 0, PTRACE_SYSCALL, 0))
			return xs_fail(-errno, "pid %d: cannot run thread %d", pid, tid);
		if (!returned)
			xs_crash_point("call-running");
		rc = xs_tgt_wait_stop(g, 0, deadline, &ev, &sig);
		if (rc == -ETIMEDOUT) {
			give_up(g, 0, "a function call", timeout_ms);
			return xs_fail_override(
			    -ETIMEDOUT, "pid %d: call to 0x%llx did not return within %ld ms", pid,
			    (unsigned long long)fn, timeout_ms);
		}
		if (rc)
			return rc;
		if (ev == XS_EV_GONE)
			return xs_fail(-ESRCH, "pid %d: thread %d exited during the call to 0x%llx",
			               pid, tid, (unsigned long long)fn);
		if (ev == XS_EV_SIGNAL) {
			rc = call_signal(g, fn, sig, forced);
			if (rc)
				return rc;
		}
		if (ev != XS_EV_SYSCALL)
			continue;
		if (returned)
			return 0; /* the exit stop of the stub's getpid */
		rc = xs_tgt_getregs(g, 0, &r);
		if (rc)
			return rc;
		if (xs_arch_pc(&r) == stub + XS_ARCH_STUB_STOP &&
		    xs_arch_syscall_nr(&r) == XS_ARCH_STUB_NR) {
			*ret = xs_arch_call_result(&r);
			returned = true;
			xs_crash_point("call-returned");
		}
	}
}

/* The stub is our code, written by the loader: anything else there is not ours to run. */
static int check_stub(struct xs_tgt *g, uint64_t stub)
{
	unsigned char code[XS_ARCH_STUB_SIZE];
	int rc = xs_target_read(&g->pub, stub, code, sizeof(code));

	if (!rc && memcmp(code, xs_arch_return_stub, sizeof(code)))
		rc = xs_fail(-ENOEXEC,
		             "pid %d: no return stub at 0x%llx (a payload from an older xsplice?)",
		             g->pub.pid, (unsigned long long)stub);
	return rc;
}

/*
 * After the call, however it ended: the thread parked at the signal return
 * (if we die now, it puts itself back; the stub may be unmapped later), out
 * of the stop of a crash, whose signal the kernel would deliver if we died
 * there, its return slot back to the signal return and its FPU state (the
 * callee may have used any vector register) back as it was.
 */
static int end_call(struct xs_tgt *g, const struct xs_tgt_fpu *fpu, bool crashed)
{
	int rc = xs_tgt_park(g, 0);

	if (!rc)
		xs_crash_point("call-parked");
	if (!rc && crashed)
		rc = xs_tgt_reenter(g, 0);
	if (!rc)
		rc = xs_tgt_fpu_write(g, 0, fpu);
	return rc;
}

/*
 * Threads made meanwhile were seized at birth (PTRACE_O_TRACECLONE) and are
 * in the table awaiting their first stop: collect it, they stay stopped.
 */
static int settle_children(struct xs_tgt *g)
{
	return xs_tgt_collect(g, xs_tgt_deadline(XS_TGT_STEP_MS), XS_TGT_STEP_MS, true, false);
}

/*
 * The callee starts with the stack pointer at the frame's return slot,
 * which sends it into the stub (which then does the signal return through
 * the frame) until the call is over, then back to the signal return itself.
 */
int xs_target_call(struct xs_target *t, uint64_t fn, const uint64_t *args, unsigned nargs,
                   uint64_t stub_addr, long timeout_ms, uint64_t *ret)
{
	static const struct xs_syscall stub_call = { XS_ARCH_STUB_NR,
		                                     { 0 },
		                                     "to return from an injected call" };
	struct xs_tgt *g = xs_tgt(t);
	struct xs_tgt_fpu fpu = { 0 };
	uint64_t slot, forced = 0;
	struct guard gd;
	xs_regs r;
	int rc, rc2;

	rc = need_stopped(g, 0);
	if (!rc)
		rc = xs_tgt_make_clean(g, 0);
	if (!rc)
		rc = check_stub(g, stub_addr);
	if (!rc) /* the stub's system call, and the frame's if it has none yet */
		rc = allowed_in(g, 0, &stub_call);
	if (!rc)
		rc = xs_tgt_frame(g, 0);
	if (!rc)
		rc = xs_tgt_fpu_read(g, 0, &fpu);
	if (!rc)
		rc = guard_begin(g, 0, FORCED_SIGS, &gd);
	if (rc)
		goto out;
	r = t->threads[0].regs;
	rc = xs_arch_setup_call(&r, fn, args, nargs, &g->ts[0].frame);
	if (rc) {
		rc = xs_fail(rc, "pid %d: cannot set up a call to 0x%llx with %u arguments", t->pid,
		             (unsigned long long)fn, nargs);
		goto guarded;
	}
	slot = g->ts[0].frame.base;
	rc = xs_target_write(t, slot, &stub_addr, XS_ARCH_PTR_SIZE);
	if (!rc)
		rc = xs_tgt_setregs(g, 0, &r);
	if (!rc) {
		xs_crash_point("call-regs-set");
		rc = run_call(g, fn, stub_addr, timeout_ms, ret, &forced);
	}
	/* The registers go back when the thread is released (threads[0].regs is untouched). */
	if (t->threads[0].stopped) {
		rc2 = end_call(g, &fpu, forced != 0);
		rc = rc ? rc : rc2;
	}
	if (!g->gone) { /* parked, or running towards the stub: either way the signal return */
		rc2 = xs_target_write(t, slot, &t->sigreturn_insn, XS_ARCH_PTR_SIZE);
		rc = rc ? rc : rc2;
	}
guarded:
	if (t->threads[0].stopped) {
		rc2 = guard_end(g, 0, forced, &gd);
		rc = rc ? rc : rc2;
	}
	rc2 = settle_children(g);
	rc = rc ? rc : rc2;
out:
	xs_tgt_fpu_free(&fpu);
	xs_seccomp_forget(g); /* a thread that ran may have added filters */
	xs_tgt_unblock();
	return rc;
}

/* --- single steps -------------------------------------------------------------------- */

/* A trap the kernel raised for us: our breakpoint's, or a step's (a perf
 * event's of the program's own is not). */
static bool trap_of_ours(struct xs_tgt *g, const siginfo_t *si)
{
	return xs_tgt_our_trap(g, si) || (si->si_code > 0 && si->si_code != TRAP_PERF);
}

/* Blocked: rt_sigtimedwait, run in the thread, takes it out of the queue. */
static int take_blocked_trap(struct xs_tgt *g, size_t i)
{
	const uint64_t set = bit(SIGTRAP);
	const struct timespec zero = { 0, 0 };
	uint64_t scratch, args[6];
	siginfo_t si;
	long ret = 0;
	int rc;

	/* Its frame first (the call returns through it), the scratch below it. */
	rc = xs_tgt_make_clean(g, i);
	if (!rc)
		rc = xs_tgt_frame(g, i);
	if (rc)
		return rc;
	scratch = scratch_of(g, i);
	rc = xs_target_write(&g->pub, scratch, &set, sizeof(set));
	if (!rc)
		rc = xs_target_write(&g->pub, scratch + 16, &zero, sizeof(zero));
	args[0] = scratch;
	args[1] = scratch + 64;
	args[2] = scratch + 16;
	args[3] = XS_ARCH_SIGSET_SIZE;
	args[4] = args[5] = 0;
	if (!rc)
		rc = checked_inject(g, i, SYS_rt_sigtimedwait, args, &ret);
	if (!rc && ret == SIGTRAP)
		rc = xs_target_read(&g->pub, scratch + 64, &si, sizeof(si));
	if (!rc && ret == SIGTRAP && !trap_of_ours(g, &si))
		xs_tgt_record_signal(g, i, SIGTRAP, &si);
	return rc;
}

/* Not blocked: the thread takes it first when it goes on (a synchronous
 * signal), into a signal-delivery-stop before any code of its own runs;
 * it stays in that stop, and the signal is dropped when it leaves. */
static int take_deliverable_trap(struct xs_tgt *g, size_t i)
{
	long long deadline = xs_tgt_deadline(XS_TGT_STEP_MS);
	pid_t tid = g->pub.threads[i].tid;
	enum xs_ev ev;
	siginfo_t si;
	int rc, sig;

	for (int k = 0; k < 4; k++) { /* other signals may come first */
		if (xs_tgt_resume_one(g, i, PTRACE_CONT, 0))
			return -errno;
		rc = xs_tgt_wait_stop(g, i, deadline, &ev, &sig);
		if (rc)
			return rc == -ETIMEDOUT ?
			           give_up(g, i, "taking back a SIGTRAP", XS_TGT_STEP_MS) :
			           rc;
		if (ev == XS_EV_GONE)
			return -ESRCH;
		if (ev != XS_EV_SIGNAL)
			continue;
		memset(&si, 0, sizeof(si));
		ptrace(PTRACE_GETSIGINFO, tid, 0, &si);
		if (sig != SIGTRAP || !trap_of_ours(g, &si)) {
			xs_tgt_record_signal(g, i, sig, &si);
			continue;
		}
		return 0;
	}
	return -EAGAIN;
}

/*
 * A SIGTRAP of ours may wait in stopped thread i's queue, where nothing
 * would drop it (our breakpoint's, sent while the thread blocked the
 * signal; a step's, reported on the way out of a system call after we gave
 * up on it): once the thread takes it after we let go, the process dies.
 * Take it out; one that was not ours goes back to the thread at its release.
 */
int xs_tgt_take_back_trap(struct xs_tgt *g, size_t i)
{
	pid_t pid = g->pub.pid, tid = g->pub.threads[i].tid;
	uint64_t blk, ign, cgt;
	char val[32];
	int rc;

	if (xs_tgt_status_field(pid, tid, "SigPnd", val, sizeof(val)) ||
	    !(strtoull(val, NULL, 16) & bit(SIGTRAP)))
		return 0;
	rc = xs_tgt_sigmasks(pid, tid, &blk, &ign, &cgt);
	if (!rc)
		rc = blk & bit(SIGTRAP) ? take_blocked_trap(g, i) : take_deliverable_trap(g, i);
	if (rc)
		return xs_fail(rc, "pid %d: thread %d: cannot take back a SIGTRAP of ours", pid,
		               tid);
	return 0;
}

/*
 * One instruction of thread i. 0 with its registers read, 1 when it exited
 * on the way (dropped from the table). Signals it takes meanwhile are kept
 * for its release; a clone event or an interrupt comes before the step.
 */
static int step_once(struct xs_tgt *g, size_t i, long long deadline, long ms, uint64_t *forced)
{
	pid_t tid = g->pub.threads[i].tid;
	enum xs_ev ev;
	siginfo_t si;
	int rc, rc2, sig;

	for (;;) {
		if (xs_tgt_resume_one(g, i, PTRACE_SINGLESTEP, 0))
			return xs_fail(-errno, "pid %d: cannot step thread %d", g->pub.pid, tid);
		rc = xs_tgt_wait_stop(g, i, deadline, &ev, &sig);
		if (rc == -ETIMEDOUT) { /* in a system call that blocks: where it is now */
			rc = give_up(g, i, "a single step", ms);
			/* The step is reported on the way out of the call: forced, queued. */
			*forced |= bit(SIGTRAP);
			if (!g->pub.threads[i].stopped)
				return rc;
			rc2 = xs_tgt_getregs(g, i, &g->pub.threads[i].regs);
			if (!rc2)
				rc2 = xs_tgt_take_back_trap(g, i);
			return rc2 ? rc2 : rc;
		}
		if (rc)
			return rc;
		if (ev == XS_EV_GONE) {
			xs_tgt_drop(g, i);
			return g->gone ? xs_fail(-ESRCH, "pid %d exited", g->pub.pid) : 1;
		}
		if (ev != XS_EV_SIGNAL)
			continue;
		memset(&si, 0, sizeof(si));
		if (sig == SIGTRAP && !ptrace(PTRACE_GETSIGINFO, tid, 0, &si) && si.si_code > 0) {
			*forced |= bit(SIGTRAP);
			return xs_tgt_getregs(g, i, &g->pub.threads[i].regs);
		}
		xs_tgt_record_signal(g, i, sig, &si);
	}
}

/*
 * A thread single-stepped keeps the trap flag until it is resumed some other
 * way: should xsplice die while it holds the thread, the thread would run
 * one instruction, take the step's SIGTRAP with no tracer, and kill the
 * process. Its first PTRACE_CONT clears the flag, so it goes to an
 * interrupt's stop through one (xs_tgt_reenter: no code of its own runs),
 * unless an injected system call (PTRACE_SYSCALL) did that already.
 */
static int leave_steps(struct xs_tgt *g, size_t i)
{
	if (g->ts[i].stop == XS_STOP_SYSCALL)
		return 0;
	return xs_tgt_reenter(g, i);
}

/* Thread i stopped, clean, and its SIGTRAP ours until guard_end: the start
 * of every run of its own code that we end with a trap. */
static int trap_guarded(struct xs_tgt *g, size_t i, struct guard *gd)
{
	int rc = need_stopped(g, i);

	if (!rc)
		rc = xs_tgt_make_clean(g, i);
	return rc ? rc : guard_begin(g, i, bit(SIGTRAP), gd);
}

int xs_target_step_to(struct xs_target *t, size_t i, unsigned max_steps, long timeout_ms,
                      xs_pc_test_fn *done, void *arg)
{
	struct xs_tgt *g = xs_tgt(t);
	long long deadline = xs_tgt_deadline(timeout_ms);
	pid_t tid = i < t->nthreads ? t->threads[i].tid : 0;
	uint64_t forced = 0;
	bool armed = false, gone = false;
	unsigned n = 0;
	struct guard gd;
	int rc, rc2;

	rc = trap_guarded(g, i, &gd);
	armed = !rc;
	/* From a clean stop with the registers it was found with (guard_begin
	 * may have run system calls in it), and no signal handed over. */
	if (!rc && g->ts[i].stop == XS_STOP_SYSCALL)
		rc = xs_tgt_reenter(g, i);
	if (!rc)
		rc = xs_tgt_restore_regs(g, i);
	if (!rc) /* its own code runs next: its stack is its own (guard_end makes a frame anew) */
		xs_tgt_frame_forget(g, i);
	while (!rc && !done(arg, xs_arch_pc(&t->threads[i].regs))) {
		if (n++ == max_steps) {
			rc = xs_fail(
			    -EAGAIN, "pid %d: thread %d is at 0x%llx after %u single steps", t->pid,
			    tid, (unsigned long long)xs_arch_pc(&t->threads[i].regs), max_steps);
			break;
		}
		rc = step_once(g, i, deadline, timeout_ms, &forced);
		if (rc == 1) {
			gone = true;
			rc = 0;
			break;
		}
	}
	if (armed && !gone && i < t->nthreads && t->threads[i].stopped) {
		rc2 = guard_end(g, i, forced, &gd);
		rc = rc ? rc : rc2;
	}
	if (n && !gone && !g->execed && i < t->nthreads && t->threads[i].stopped) {
		rc2 = leave_steps(g, i);
		rc = rc ? rc : rc2;
	}
	if (!rc)
		xs_crash_point("stepped");
	rc2 = settle_children(g);
	rc = rc ? rc : rc2;
	xs_seccomp_forget(g); /* the thread ran its own code: it may have added filters */
	xs_tgt_unblock();
	return rc;
}

/* --- run until return ------------------------------------------------------------ */

struct until {
	size_t i;
	uint64_t ret_addr, sp;
	unsigned char orig[XS_ARCH_TRAP_SIZE];
	uint64_t forced;
	int deliver; /* signal to hand the thread at the next continue */
	siginfo_t si;
	bool si_set; /* si must be put back first (we are in another stop by then) */
};

/* Our trap hit in a deeper frame: run the real instruction once, then re-arm. */
static int step_over(struct xs_tgt *g, struct until *u, xs_regs *r, long long deadline)
{
	pid_t tid = g->pub.threads[u->i].tid;
	enum xs_ev ev;
	int rc, sig;

	xs_arch_set_pc(r, u->ret_addr);
	rc = xs_tgt_setregs(g, u->i, r);
	if (!rc)
		rc = xs_target_write(&g->pub, u->ret_addr, u->orig, sizeof(u->orig));
	while (!rc) {
		if (xs_tgt_resume_one(g, u->i, PTRACE_SINGLESTEP, 0))
			return xs_fail(-errno, "pid %d: cannot step thread %d", g->pub.pid, tid);
		rc = xs_tgt_wait_stop(g, u->i, deadline, &ev, &sig);
		if (rc || ev == XS_EV_GONE)
			return rc ? rc :
			            xs_fail(-ESRCH, "pid %d: thread %d exited", g->pub.pid, tid);
		if (ev == XS_EV_SIGNAL && sig == SIGTRAP) {
			u->forced |= bit(SIGTRAP);
			break;
		}
		if (ev == XS_EV_SIGNAL && !u->deliver) { /* before the step: hand it over after */
			u->deliver = sig;
			u->si_set = ptrace(PTRACE_GETSIGINFO, tid, 0, &u->si) == 0;
		} else if (ev == XS_EV_SIGNAL) {
			xs_tgt_record_signal(g, u->i, sig, NULL);
		}
	}
	return rc ? rc :
	            xs_target_write(&g->pub, u->ret_addr, xs_arch_trap_insn, XS_ARCH_TRAP_SIZE);
}

/* 1: returned for good (regs saved); 0: keep going; <0: error. */
static int until_trap(struct xs_tgt *g, struct until *u, long long deadline)
{
	size_t i = u->i;
	siginfo_t si;
	xs_regs r;
	int rc = xs_tgt_getregs(g, i, &r);

	memset(&si, 0, sizeof(si));
	if (rc)
		return rc;
	if (xs_arch_pc(&r) != xs_arch_pc_after_trap(u->ret_addr) ||
	    ptrace(PTRACE_GETSIGINFO, g->pub.threads[i].tid, 0, &si) || si.si_code <= 0) {
		u->deliver = SIGTRAP; /* the thread's own SIGTRAP */
		return 0;
	}
	u->forced |= bit(SIGTRAP);
	if (xs_arch_sp(&r) < u->sp)
		return step_over(g, u, &r, deadline);
	xs_arch_set_pc(&r, u->ret_addr);
	g->pub.threads[i].regs = r; /* the kernel still has pc after the trap: fixed at release */
	return 1;
}

static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static int run_until(struct xs_tgt *g, struct until *u, long timeout_ms)
{
	long long deadline = xs_tgt_deadline(timeout_ms);
	struct xs_thread *th = &g->pub.threads[u->i];
	pid_t pid = g->pub.pid, tid = th->tid;
	enum xs_ev ev;
	int rc, sig;

	for (;;) {
		if (u->si_set)
			ptrace(PTRACE_SETSIGINFO, tid, 0, &u->si);
		if (xs_tgt_resume_one(g, u->i, PTRACE_CONT, u->deliver))
			return xs_fail(-errno, "pid %d: cannot run thread %d", pid, tid);
		u->deliver = 0;
		u->si_set = false;
		rc = xs_tgt_wait_stop(g, u->i, deadline, &ev, &sig);
		if (rc == -ETIMEDOUT)
			return -ETIMEDOUT;
		if (rc)
			return rc;
		if (ev == XS_EV_GONE)
			return xs_fail(-ESRCH,
			               "pid %d: thread %d exited before returning to 0x%llx", pid,
			               tid, (unsigned long long)u->ret_addr);
		if (ev != XS_EV_SIGNAL)
			continue;
		if (sig == SIGTRAP) {
			rc = until_trap(g, u, deadline);
			if (rc)
				return rc < 0 ? rc : 0;
		} else if (stop_signal(sig)) {
			xs_tgt_record_signal(g, u->i, sig,
			                     NULL); /* stopping now would hang us: at resume */
		} else {
			u->deliver = sig; /* its own code runs: its signals are delivered */
		}
	}
}

/* Deadline passed: stop the thread where it is; a trap hit just now still counts. */
static int until_timeout(struct xs_tgt *g, struct until *u, long timeout_ms)
{
	size_t i = u->i;
	enum xs_ev ev;
	int sig, rc;

	rc = xs_tgt_interrupt(g, i);
	if (!rc)
		rc = xs_tgt_wait_stop(g, i, xs_tgt_deadline(XS_TGT_STEP_MS), &ev, &sig);
	if (!rc && ev == XS_EV_SIGNAL && sig == SIGTRAP &&
	    until_trap(g, u, xs_tgt_deadline(XS_TGT_STEP_MS)) == 1)
		return 0;
	if (!rc && ev == XS_EV_SIGNAL && sig != SIGTRAP)
		xs_tgt_record_signal(g, i, sig, NULL);
	if (u->deliver) /* taken from the thread but not handed over yet */
		xs_tgt_record_signal(g, i, u->deliver, u->si_set ? &u->si : NULL);
	if (!rc && g->pub.threads[i].stopped)
		rc = xs_tgt_getregs(g, i, &g->pub.threads[i].regs);
	if (rc)
		return rc;
	return xs_fail(-ETIMEDOUT, "pid %d: thread %d did not return to 0x%llx within %ld ms",
	               g->pub.pid, g->pub.threads[i].tid, (unsigned long long)u->ret_addr,
	               timeout_ms);
}

int xs_target_run_until_return(struct xs_target *t, size_t i, uint64_t ret_addr, uint64_t sp,
                               long timeout_ms)
{
	struct xs_tgt *g = xs_tgt(t);
	struct until u = { .i = i, .ret_addr = ret_addr, .sp = sp };
	bool armed = false;
	struct guard gd;
	int rc, rc2;

	rc = trap_guarded(g, i, &gd);
	if (!rc) /* registers back, pending signal ready: it runs its own code */
		rc = xs_tgt_prepare_release(g, i, xs_tgt_deadline(XS_TGT_STEP_MS), &u.deliver);
	if (!rc)
		rc = xs_target_read(t, ret_addr, u.orig, sizeof(u.orig));
	if (!rc)
		rc = xs_target_write(t, ret_addr, xs_arch_trap_insn, XS_ARCH_TRAP_SIZE);
	if (rc)
		goto out;
	armed = true;
	if (u.deliver) { /* handed over below: no longer ours to keep */
		t->threads[i].pending_signal = 0;
		g->ts[i].si_valid = false;
	}
	rc = run_until(g, &u, timeout_ms);
	if (rc == -ETIMEDOUT)
		rc = until_timeout(g, &u, timeout_ms);
out:
	if (armed && !g->gone) {
		rc2 = xs_target_write(t, ret_addr, u.orig, sizeof(u.orig));
		rc = rc ? rc : rc2;
	}
	if (armed && i < t->nthreads && t->threads[i].stopped) {
		rc2 = guard_end(g, i, u.forced, &gd);
		rc = rc ? rc : rc2;
	}
	rc2 = settle_children(g);
	rc = rc ? rc : rc2;
	xs_seccomp_forget(g); /* a thread that ran may have added filters */
	xs_tgt_unblock();
	return rc;
}
