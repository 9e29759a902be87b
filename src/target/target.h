/* SPDX-License-Identifier: MIT */
/*
 * The one door to a target process: every ptrace call and every access to
 * /proc/<pid>/mem goes through target.c (ptrace is poisoned elsewhere).
 * Stopping uses PTRACE_SEIZE + PTRACE_INTERRUPT so the target sees no
 * SIGSTOP, no EINTR, and its parent sees no stop.
 */
#ifndef XS_TARGET_H
#define XS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"

struct xs_thread {
	pid_t tid;
	xs_regs regs;       /* as found at the stop; restored on resume/detach */
	bool stopped;       /* in a ptrace stop we caused */
	int pending_signal; /* signal seen during our work, re-delivered at resume */
};

struct xs_target {
	pid_t pid;
	int mem_fd; /* /proc/<pid>/mem, O_RDWR */
	size_t nthreads;
	struct xs_thread *threads;
	uint64_t syscall_insn;   /* "syscall; ret" in the target's code (xs_arch_syscall_ret) */
	uint64_t sigreturn_insn; /* a signal return there (xs_arch_sigreturn_seqs) */
	bool attached;
	/* New whenever a thread runs, the thread list changes or we write
	 * target memory: what was read of it in another era may be stale.
	 * Unique in this process, across targets. */
	unsigned long era;
};

void xs_target_new_era(struct xs_target *t);

/* When pid started (clock ticks after boot, /proc/<pid>/stat field 22): with
 * the pid, names one process, even after the pid is reused. -ESRCH if gone. */
int xs_proc_start_time(pid_t pid, uint64_t *start);

/* Read target memory without attaching (list/get): pread on /proc/<pid>/mem. */
int xs_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/*
 * Read n pieces of pid's memory (local[i] from remote[i]) in few
 * process_vm_readv calls. A call stops at the first remote piece it cannot
 * read; the next call goes on after that piece. ok[i] (ok may be NULL) says
 * whether piece i was read whole. Returns how many were, or -errno when
 * pid's memory cannot be read at all. Silent: for reads that are a hint or
 * have a slower way.
 */
struct iovec;
long xs_proc_readv(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n,
                   bool *ok);

/*
 * Whether pid is a process there is anything to patch in, reported when not:
 * no such process (-ESRCH), a zombie (-ESRCH), a kernel thread (-EINVAL), a
 * thread of another process (-EINVAL). Two small /proc reads, no ptrace: for
 * the first step of a command, before anything else reads the process.
 */
int xs_target_check(pid_t pid);
/* A command's result: rc, or when it failed and pid ran execve since the
 * command's xs_target_check, -ECANCELED naming that (what failed then was a
 * symptom: addresses, maps, the registry of a program that is gone). */
int xs_target_explain(pid_t pid, int rc);

/*
 * Seize every thread and stop them all within timeout_ms (threads created
 * meanwhile are seized and stopped too). Errors: -ESRCH no such process,
 * -EBUSY already traced (the message names the tracer), -EPERM ptrace not
 * allowed, -ETIMEDOUT, -ECANCELED it ran execve meanwhile.
 */
int xs_target_attach(pid_t pid, long timeout_ms, struct xs_target **out);
/* What an attach does around its stops (every member optional). */
struct xs_pages;
typedef void xs_before_stop_fn(struct xs_target *t, void *arg);
/* Thread i (tid) was found stopped with registers r, in the target's era:
 * its memory may be read now, from any thread of ours. */
typedef void xs_regs_read_fn(void *arg, size_t i, pid_t tid, const xs_regs *r, unsigned long era);
typedef void xs_all_stopped_fn(struct xs_target *t, void *arg);
struct xs_stop_hooks {
	/* Read just before every stop of running threads (warm_pages.h); copied. */
	const struct xs_pages *warm;
	/* Called once every thread is seized and none interrupted yet: the
	 * process still runs, but no other tracer, another xsplice run
	 * included, can take it until we let go. */
	xs_before_stop_fn *before_stop;
	void *before_arg;
	/* Called as each stop's registers are read, thread by thread. */
	xs_regs_read_fn *regs_read;
	void *regs_arg;
	/* Called in every stop (the first and xs_target_stop's) once every
	 * thread of the process has reported it, before any registers are
	 * read: memory may be read, nothing else. */
	xs_all_stopped_fn *all_stopped;
	void *stopped_arg;
	/* Called after each release of every thread between two stops
	 * (xs_target_run_for), while they run: for a message, say. */
	xs_all_stopped_fn *released;
	void *released_arg;
};
/* The same, with hooks (may be NULL). */
int xs_target_attach_hooked(pid_t pid, long timeout_ms, const struct xs_stop_hooks *hooks,
                            struct xs_target **out);
/*
 * Seize and stop one thread of pid (the first listed that waits: -EAGAIN
 * when every thread is runnable), the others running on: for system calls and memory writes that need a stopped
 * thread to run in, not a stopped process. No other tracer (another xsplice
 * run included) can take that thread, so none can stop the process
 * meanwhile. The calls run only in that thread.
 */
int xs_target_attach_one(pid_t pid, long timeout_ms, struct xs_target **out);
/* Restore every thread's registers, re-deliver pending signals, detach, free. */
void xs_target_detach(struct xs_target *t);

/* Let all threads run (still attached), then stop them all again. */
int xs_target_resume(struct xs_target *t);
int xs_target_stop(struct xs_target *t, long timeout_ms);

/* Memory through /proc/<pid>/mem: works on read-only text without mprotect. */
int xs_target_read(struct xs_target *t, uint64_t addr, void *buf, size_t len);
int xs_target_write(struct xs_target *t, uint64_t addr, const void *buf, size_t len);
/*
 * One pread of len bytes at addr from /proc/<pid>/mem, nothing more: no
 * process_vm_readv first, no retry, no message; 0 when read whole, else -EIO.
 * For reads made many times while every thread waits, whose failure is only
 * an answer (the unwinder's page cache).
 */
int xs_target_peek(const struct xs_target *t, uint64_t addr, void *buf, size_t len);

/* One system call as a seccomp filter sees it. */
struct xs_syscall {
	long nr;
	uint64_t args[6];
	const char *what; /* what it is for ("to map the payload"), for messages; may be NULL */
};

/* Why no thread may run a list of system calls (xs_target_syscalls_allowed). */
struct xs_syscall_denial {
	size_t call; /* how far the thread that got furthest got: the call it refused */
	const struct xs_syscall *refused; /* that call: one of the list, or (call >= n) one of
					   * the signal frame's own that the thread still needs */
	pid_t tid;                        /* that thread */
	const char *verdict; /* its filters' action ("ERRNO", "KILL_PROCESS"), or "strict mode" */
};

/*
 * Run one system call in the target, registers restored after. It runs in
 * a stopped thread whose seccomp filters allow it, and the system calls of
 * the signal frame it returns through (target_frame.c) when the thread has
 * none yet (filters are per thread):
 * the thread chosen last (by the call before, or xs_target_syscalls_allowed)
 * if it may, else the first that may. *ret gets the raw result (a -errno on
 * failure). -EPERM, naming the call, when no thread may run it.
 */
int xs_target_syscall(struct xs_target *t, long nr, const uint64_t args[6], long *ret);

/*
 * Before a sequence of system calls changes anything: is there a stopped
 * thread whose seccomp filters allow every one of calls[0..n) (arguments
 * known only later given as 0), and the system calls of the signal frame
 * they would run through, if it has none yet? 0: yes, and xs_target_syscall
 * runs the calls that follow there. -EPERM without a message when none is,
 * *why saying which call stopped the thread that got furthest; another
 * -errno (with a message) when a filter could not be read.
 */
int xs_target_syscalls_allowed(struct xs_target *t, const struct xs_syscall *calls, size_t n,
                               struct xs_syscall_denial *why);

/* "mmap(0x0, 0x1000, 0x5, 0x22, 0xffffffffffffffff, 0x0)", for messages. */
void xs_syscall_text(const struct xs_syscall *c, char *buf, size_t len);

/* Call fn(args...) in the target in one thread, others stay stopped; returns
 * into the return stub (xs_arch_return_stub, which must be there) at
 * stub_addr. -ETIMEDOUT after timeout_ms (the thread is then stopped), -EFAULT
 * when it crashed; its registers and FPU state are put back either way. */
int xs_target_call(struct xs_target *t, uint64_t fn, const uint64_t *args, unsigned nargs,
                   uint64_t stub_addr, long timeout_ms, uint64_t *ret);

/*
 * Let one thread run, alone, until it returns to ret_addr with its stack
 * pointer above sp (a breakpoint at ret_addr, removed after). Threads it
 * creates meanwhile are seized and stopped. -ETIMEDOUT after timeout_ms, with
 * the thread stopped and the code restored.
 */
int xs_target_run_until_return(struct xs_target *t, size_t thread_index, uint64_t ret_addr,
                               uint64_t sp, long timeout_ms);

/*
 * Let every thread run for ms, still attached, then stop them all again
 * within stop_ms. No thread is held meanwhile: every stop that comes (a
 * signal, which is delivered then; a new thread; a group-stop) is answered
 * at once.
 */
int xs_target_run_for(struct xs_target *t, long ms, long stop_ms);

/*
 * The same, while thread i runs until it returns to ret_addr with its stack
 * pointer at sp or above, seen by a hardware breakpoint that only that
 * thread meets (no code changes; a perf event that sends it SIGTRAP, which
 * we take). Ends when it does (then held there from that moment), exits, or
 * timeout_ms passes; then every thread is stopped within stop_ms. 0: it
 * returned or exited; -ETIMEDOUT. -EOPNOTSUPP, silent, nothing done, every
 * thread still stopped: no such breakpoint here (perf events refused or
 * XSPLICE_HW_BREAK=0), or the thread blocks SIGTRAP.
 */
int xs_target_run_out(struct xs_target *t, size_t i, uint64_t ret_addr, uint64_t sp,
                      long timeout_ms, long stop_ms);

/*
 * Single-step thread i, the others staying as they are, until done(arg, pc)
 * holds for its PC, for max_steps instructions and timeout_ms at most. Its
 * registers are then where it stands; signals it takes meanwhile wait for
 * its release. -EAGAIN: steps used up. A thread that exits on the way is
 * dropped from the table (0).
 */
typedef bool xs_pc_test_fn(void *arg, uint64_t pc);
int xs_target_step_to(struct xs_target *t, size_t i, unsigned max_steps, long timeout_ms,
                      xs_pc_test_fn *done, void *arg);

#endif
