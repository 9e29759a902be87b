/* SPDX-License-Identifier: MIT */
/*
 * Private to the target door (src/target/): the ptrace state
 * of each thread that struct xs_thread does not carry, the bounded wait on
 * ptrace reports, and the helpers the stop, memory and exec parts share.
 */
#ifndef XS_TARGET_INT_H
#define XS_TARGET_INT_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "target/target.h"
#include "target/warm_pages.h"

#define XS_TGT_STEP_MS 2000   /* bound for one injected syscall, step or re-entry */
#define XS_TGT_DETACH_MS 2000 /* bound for stopping running threads in detach */
#define XS_TGT_EXTRA_SIGS 4   /* signals kept beyond pending_signal (rare) */

/*
 * Which ptrace stop a thread is in. It decides how the thread may leave it:
 * only a signal-delivery-stop re-injects a signal with PTRACE_CONT, and only
 * a stop inside the kernel's signal path (TRAP, GROUP, SIGNAL) runs the
 * syscall-restart logic on the way out.
 */
enum xs_stop {
	XS_RUNNING,      /* not in a stop we have collected */
	XS_STOP_TRAP,    /* PTRACE_EVENT_STOP, SIGTRAP: our interrupt, or a new thread */
	XS_STOP_GROUP,   /* group-stop (someone's SIGSTOP): left with PTRACE_LISTEN */
	XS_STOP_SIGNAL,  /* signal-delivery-stop */
	XS_STOP_EVENT,   /* PTRACE_EVENT_CLONE or another event inside a syscall */
	XS_STOP_SYSCALL, /* syscall stop of a system call we injected */
};

/* Per thread, same index as xs_target.threads (filled by target*.c only). */
struct xs_tstate {
	xs_regs live; /* what the kernel holds now, when live_ok */
	bool live_ok;
	enum xs_stop stop;
	bool awaiting;   /* a stop report is due: interrupted, or new thread */
	bool fresh;      /* seized, not interrupted yet */
	bool need_regs;  /* stopped, registers not read yet (xs_tgt_collect) */
	bool listening;  /* left group-stopped with PTRACE_LISTEN */
	bool si_valid;   /* si describes pending_signal */
	bool si_current; /* ... and is the signal of the stop we are in now */
	siginfo_t si;
	int extra[XS_TGT_EXTRA_SIGS]; /* more dequeued signals; re-sent at detach */
	unsigned nextra;
	/* The signal frame on its stack that anything we run in it returns
	 * through (target_frame.c); base 0: none in this stop. */
	struct xs_arch_frame frame;
	bool exited; /* its exit was reaped early (reap_exited): status holds it */
	int status;
};

struct xs_seccomp; /* seccomp.c */

/* The allocation behind every struct xs_target handed out (pub first). */
struct xs_tgt {
	struct xs_target pub;
	struct xs_tstate *ts;
	size_t cap;
	int task_fd;                    /* /proc/<pid>/task, re-read at every stop */
	bool counted_all;               /* its link count was ours when the last stop was in */
	struct xs_pages warm;           /* read just before interrupting running threads */
	xs_before_stop_fn *before_stop; /* called once, before the first interrupt */
	void *before_arg;
	xs_regs_read_fn *regs_read; /* told of each stopped thread's registers */
	void *regs_arg;
	xs_all_stopped_fn *all_stopped; /* told when a stop has every thread */
	void *stopped_arg;
	xs_all_stopped_fn *released; /* told when run_for let every thread go */
	void *released_arg;
	pid_t *ignored; /* tids we cannot trace: io_uring workers, zombie leader */
	size_t nignored;
	size_t cursor;         /* where the last tid lookup matched */
	bool poll_wait;        /* SIGCHLD is ignored here: poll instead of sigtimedwait */
	bool gone;             /* the process exited under us */
	struct xs_seccomp *sc; /* seccomp view of the threads looked at; forgotten when they run */
	pid_t
	    sys_tid; /* the thread that ran the last system call, or was chosen for the next (0: none) */
	bool one;             /* xs_target_attach_one: one thread held, the rest run */
	bool execed;          /* it ran execve under us: threads, memory, registers are new */
	bool block_wait;      /* xs_tgt_wait may block in waitpid (xs_tgt_collect) */
	long long spin_until; /* xs_now_us: before then, watch for a due stop, do not sleep */
	long long wait_step;  /* xs_now_us: every wait for a stop wakes then at the latest */
	int saved_policy;     /* ours before the first interrupt; -1: not changed */
	struct sched_param saved_param;
	uint64_t
	    trap_cookie; /* si_perf_data of our breakpoints' SIGTRAP (target_run.c); 0: none yet */
};

static inline struct xs_tgt *xs_tgt(struct xs_target *t)
{
	return (struct xs_tgt *)t; /* pub is the first member */
}

/* What a wait status reported, after xs_tgt_event() booked it. */
enum xs_ev {
	XS_EV_GONE,    /* exited or killed: the caller drops the thread */
	XS_EV_TRAP,    /* PTRACE_EVENT_STOP with SIGTRAP */
	XS_EV_GROUP,   /* group-stop */
	XS_EV_CLONE,   /* a new thread (added to the table, awaiting its stop) */
	XS_EV_SYSCALL, /* syscall-entry or -exit stop */
	XS_EV_SIGNAL,  /* signal-delivery-stop, the signal in *sig */
	XS_EV_OTHER,   /* another ptrace event */
};

/* target_alarm.c: a deadline for a blocking waitpid (false: not available, poll instead).
 * prepare makes the timer (five system calls), best done before any stop. */
bool xs_tgt_alarm_prepare(void);
bool xs_tgt_alarm_arm(long long deadline_us);
void xs_tgt_alarm_disarm(void);

/* target_wait.c: arm the alarm for the waits of a stop about to begin (see wait_thread) */
void xs_tgt_arm_waits(struct xs_tgt *g, long long deadline_us);

/* target.c: let every stopped thread but keep (SIZE_MAX: none) go on, as
 * xs_target_resume does; let stopped thread i go on alone */
int xs_tgt_resume(struct xs_tgt *g, size_t keep);
int xs_tgt_resume_one_thread(struct xs_tgt *g, size_t i);

/* target.c: the thread table */
ssize_t xs_tgt_find(struct xs_tgt *g, pid_t tid);
int xs_tgt_add(struct xs_tgt *g, pid_t tid, bool awaiting);
void xs_tgt_drop(struct xs_tgt *g, size_t i);
int xs_tgt_ignore(struct xs_tgt *g, pid_t tid);

/* target_execve.c: the process ran execve under us. Every later step fails
 * with xs_tgt_execed (-ECANCELED, the message replacing any other: what
 * failed then was a symptom). */
int xs_tgt_execed(struct xs_tgt *g);
/* -ESRCH (or a mem file that reads nothing) may mean execve: 0 when not. */
int xs_tgt_check_exec(struct xs_tgt *g);
/* Whether an exec stop is reported (under the pid) before deadline_us, at most
 * XS_TGT_STEP_MS from now; false at once when the process is gone. */
bool xs_tgt_exec_follows(struct xs_tgt *g, long long deadline_us);
/* The command's mark (xs_target_check): opened by its first step, checked by
 * the next ones; and at a stop once every thread is seized, none stopped. */
int xs_tgt_exec_mark_open(pid_t pid);
int xs_tgt_exec_mark_check(struct xs_tgt *g);

/* target_wait.c: reports, stops, registers and signals */
long long xs_tgt_deadline(long timeout_ms);
int xs_tgt_wait(struct xs_tgt *g, pid_t tid, int *status, long long deadline_us);
void xs_tgt_unblock(void);
enum xs_ev xs_tgt_event(struct xs_tgt *g, size_t i, int status, int *sig);
int xs_tgt_wait_stop(struct xs_tgt *g, size_t i, long long deadline_us, enum xs_ev *ev, int *sig);
int xs_tgt_getregs(struct xs_tgt *g, size_t i, xs_regs *r);
int xs_tgt_setregs(struct xs_tgt *g, size_t i, const xs_regs *r);
int xs_tgt_restore_regs(struct xs_tgt *g, size_t i);
void xs_tgt_record_signal(struct xs_tgt *g, size_t i, int sig, const siginfo_t *si);
int xs_tgt_resume_one(struct xs_tgt *g, size_t i, int req, int sig);
int xs_tgt_interrupt(struct xs_tgt *g, size_t i);
int xs_tgt_reenter(struct xs_tgt *g, size_t i);
int xs_tgt_make_clean(struct xs_tgt *g, size_t i);
int xs_tgt_prepare_release(struct xs_tgt *g, size_t i, long long deadline_us, int *sig);
int xs_tgt_collect(struct xs_tgt *g, long long deadline_us, long timeout_ms, bool all,
                   bool whole_stop);
void xs_tgt_take_unsolicited(struct xs_tgt *g);

int xs_tgt_status_field(pid_t pid, pid_t tid, const char *key, char *val, size_t len);
int xs_tgt_sigmasks(pid_t pid, pid_t tid, uint64_t *blk, uint64_t *ign, uint64_t *cgt);
int xs_tgt_proc_stat(pid_t pid, pid_t tid, char *state, unsigned *flags);
char xs_tgt_thread_state(pid_t pid, pid_t tid);
/* startcode of /proc/<pid>/stat: 0 while execve has not mapped the new program yet. */
int xs_tgt_start_code(pid_t pid, uint64_t *start);
int xs_tgt_find_syscall(struct xs_tgt *g);
/* Whether tid is a thread of the target (listed under /proc/<pid>/task). */
bool xs_tgt_thread_of(struct xs_tgt *g, pid_t tid);
/* Next report of any of our tracees: 0 with *tid and *status, -ETIMEDOUT,
 * or -ECHILD (none left). Exits are reaped as they come (an execve's
 * de_thread waits for that); ts[].exited ones were reaped before. */
int xs_tgt_wait_any(struct xs_tgt *g, pid_t *tid, int *status, long long deadline_us);
/* A SIGTRAP our breakpoint sent (target_run.c): never the thread's to take. */
bool xs_tgt_our_trap(const struct xs_tgt *g, const siginfo_t *si);

/* seccomp.c: a filter run on a call; which thread's filters allow calls */
struct sock_filter;
struct seccomp_data;
int xs_seccomp_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
                   uint32_t *verdict);
/*
 * The index of a stopped thread whose filters allow every call of
 * calls[0..n), then, if it has no signal frame yet, the frame's own
 * (xs_tgt_frame_calls): thread first, then (others set) the rest in table
 * order. When none does: -EPERM without a message, why->verdict set (the
 * thread that got furthest, why->refused the call that stopped it); else
 * (why->verdict NULL) another -errno with a message: no filter could be
 * read or run, or no thread is stopped.
 */
int xs_seccomp_pick(struct xs_tgt *g, size_t first, bool others, const struct xs_syscall *calls,
                    size_t n, struct xs_syscall_denial *why);
/* Does thread i's filter allow c, exactly (nothing else)? -EPERM with a message if not. */
int xs_seccomp_permits(struct xs_tgt *g, size_t i, const struct xs_syscall *c);
void xs_seccomp_forget(struct xs_tgt *g);

/* target_exec.c: run system call nr in stopped thread i, through its frame (made
 * first if need be, checked then); nr itself is not checked against seccomp */
int xs_tgt_inject(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6], long *ret);
/* The same, through the frame thread i has already (target_frame.c's first call). */
int xs_tgt_inject_framed(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6], long *ret);

/*
 * target_frame.c: before xsplice runs anything in stopped thread i, a signal
 * frame with the thread's own state goes on its stack, and everything run
 * there returns through it (arch.h): should xsplice die, the thread puts
 * itself back. xs_tgt_frame makes it once a stop; xs_tgt_frame_forget, as
 * the thread goes back to its own code.
 */
int xs_tgt_frame(struct xs_tgt *g, size_t i);
void xs_tgt_frame_forget(struct xs_tgt *g, size_t i);
/* The system calls making a frame runs, or has run once the thread dies
 * with us: the read of its mask into it (the frame's address given as 0),
 * the signal return through it. The thread's seccomp filters must allow
 * them before anything is run in it (xs_seccomp_pick). */
#define XS_TGT_FRAME_CALLS 2
extern const struct xs_syscall xs_tgt_frame_calls[XS_TGT_FRAME_CALLS];
/* Registers that do the signal return right away: where a thread waits
 * between our calls, pointing into no code we may unmap. */
int xs_tgt_park(struct xs_tgt *g, size_t i);
/* FPU and vector state of a thread, as ptrace reads and writes it. */
struct xs_tgt_fpu {
	void *buf; /* malloc'd */
	size_t len;
	unsigned note; /* XS_ARCH_FPU_NOTE or XS_ARCH_FPU_NOTE_LEGACY */
};
int xs_tgt_fpu_read(struct xs_tgt *g, size_t i, struct xs_tgt_fpu *fpu);
int xs_tgt_fpu_write(struct xs_tgt *g, size_t i, const struct xs_tgt_fpu *fpu);
void xs_tgt_fpu_free(struct xs_tgt_fpu *fpu);
/* target_exec.c: drop a SIGTRAP of ours waiting in stopped thread i's queue */
int xs_tgt_take_back_trap(struct xs_tgt *g, size_t i);

#endif
