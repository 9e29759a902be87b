/* SPDX-License-Identifier: MIT */
/*
 * Attach, stop, resume and detach. PTRACE_SEIZE every thread and stop them
 * with PTRACE_INTERRUPT: the target sees no SIGSTOP and no EINTR, its parent
 * sees no stop, and detaching puts every thread back exactly as found.
 */
#include "target/target_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "target/maps.h"
#include "target/stop_log.h"

/*
 * Never PTRACE_O_EXITKILL: if we die, the target must live on. TRACECLONE
 * makes threads created while we hold the process start traced and stopped;
 * TRACESYSGOOD tells our syscall stops from a real SIGTRAP; TRACEEXEC stops
 * a thread that ran execve before its new code runs, so we see it (the
 * registers, addresses and memory we hold are then of a program that is gone).
 */
#define SEIZE_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC)

#define PF_EXITING 0x00000004     /* on its way out: cannot be seized any more */
#define PF_IO_WORKER 0x00000010   /* io_uring worker: cannot be traced, runs no user code */
#define PF_USER_WORKER 0x00004000 /* vhost and similar kernel-side workers */
#define PF_KTHREAD 0x00200000

/* --- the thread table ---------------------------------------------------------- */

void xs_target_new_era(struct xs_target *t)
{
	static unsigned long last;

	t->era = ++last;
}

ssize_t xs_tgt_find(struct xs_tgt *g, pid_t tid)
{
	size_t n = g->pub.nthreads;

	/* Listings come in table order, so starting after the last match is O(1). */
	for (size_t k = 0; k < n; k++) {
		size_t i = (g->cursor + k) % n;

		if (g->pub.threads[i].tid == tid) {
			g->cursor = i + 1;
			return (ssize_t)i;
		}
	}
	return -1;
}

int xs_tgt_add(struct xs_tgt *g, pid_t tid, bool awaiting)
{
	size_t n = g->pub.nthreads;

	if (n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct xs_thread *th = realloc(g->pub.threads, cap * sizeof(*th));
		struct xs_tstate *ts;

		if (!th)
			return xs_fail(-ENOMEM, "pid %d: no memory for %zu threads", g->pub.pid,
			               cap);
		g->pub.threads = th;
		ts = realloc(g->ts, cap * sizeof(*ts));
		if (!ts)
			return xs_fail(-ENOMEM, "pid %d: no memory for %zu threads", g->pub.pid,
			               cap);
		g->ts = ts;
		g->cap = cap;
		/* The kernel writes registers and signal details here in the stop. */
		xs_pages_touch_ours(th, cap * sizeof(*th));
		xs_pages_touch_ours(ts, cap * sizeof(*ts));
	}
	memset(&g->pub.threads[n], 0, sizeof(g->pub.threads[n]));
	memset(&g->ts[n], 0, sizeof(g->ts[n]));
	g->pub.threads[n].tid = tid;
	xs_target_new_era(&g->pub);
	g->ts[n].awaiting = awaiting;
	g->ts[n].stop = XS_RUNNING;
	g->pub.nthreads = n + 1;
	return (int)n;
}

void xs_tgt_drop(struct xs_tgt *g, size_t i)
{
	size_t rest = g->pub.nthreads - i - 1;

	memmove(&g->pub.threads[i], &g->pub.threads[i + 1], rest * sizeof(g->pub.threads[0]));
	memmove(&g->ts[i], &g->ts[i + 1], rest * sizeof(g->ts[0]));
	g->pub.nthreads--;
	xs_target_new_era(&g->pub);
}

int xs_tgt_ignore(struct xs_tgt *g, pid_t tid)
{
	pid_t *n = realloc(g->ignored, (g->nignored + 1) * sizeof(*n));

	if (!n)
		return xs_fail(-ENOMEM, "pid %d: no memory", g->pub.pid);
	g->ignored = n;
	g->ignored[g->nignored++] = tid;
	return 0;
}

static bool ignored(struct xs_tgt *g, pid_t tid)
{
	for (size_t i = 0; i < g->nignored; i++)
		if (g->ignored[i] == tid)
			return true;
	return false;
}

/* --- seizing -------------------------------------------------------------------- */

static int already_traced(pid_t pid, pid_t tid, pid_t tracer)
{
	if (tid == pid)
		return xs_fail(-EBUSY, "pid %d is already traced by pid %d (a debugger?)", pid,
		               tracer);
	return xs_fail(-EBUSY, "pid %d: thread %d is already traced by pid %d (a debugger?)", pid,
	               tid, tracer);
}

static int not_permitted(pid_t pid)
{
	char val[16] = "", why[128];
	int scope = -1, fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
	char path[32];
	struct stat st;

	if (fd >= 0) {
		if (read(fd, val, sizeof(val) - 1) > 0)
			scope = atoi(val);
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (scope == 3)
		snprintf(why, sizeof(why),
		         "kernel.yama.ptrace_scope is 3: attaching is disabled until reboot");
	else if (geteuid() && stat(path, &st) == 0 && st.st_uid != geteuid())
		snprintf(why, sizeof(why), "it belongs to uid %u: run as that user or as root",
		         (unsigned)st.st_uid);
	else if (geteuid() && scope > 0)
		snprintf(why, sizeof(why),
		         "kernel.yama.ptrace_scope is %d: run as root or set it to 0", scope);
	else
		snprintf(why, sizeof(why),
		         "no CAP_SYS_PTRACE over it, or it is not dumpable: run as root");
	return xs_fail(-EPERM, "pid %d: ptrace not permitted (%s)", pid, why);
}

/* PTRACE_SEIZE said EPERM: find out why, or decide the thread does not matter. */
static int seize_refused(struct xs_tgt *g, pid_t tid)
{
	pid_t pid = g->pub.pid, tracer = 0;
	unsigned flags = 0;
	char val[32], state = 0;

	if (!xs_tgt_status_field(pid, tid, "TracerPid", val, sizeof(val)))
		tracer = atoi(val);
	if (tracer == getpid()) {
		/* Made by a thread we hold, before its clone event reached us: on its way to a stop. */
		return xs_tgt_add(g, tid, true) < 0 ? -ENOMEM : 1;
	}
	if (tracer > 0)
		return already_traced(pid, tid, tracer);
	if (xs_tgt_proc_stat(pid, tid, &state, &flags) || state == 'Z' || state == 'X' ||
	    (flags & PF_EXITING && tid != pid)) {
		/* Exiting; a leader that called pthread_exit stays a zombie meanwhile. */
		return tid == pid ? xs_tgt_ignore(g, tid) : 0;
	}
	if (flags & (PF_IO_WORKER | PF_USER_WORKER))
		return xs_tgt_ignore(g, tid);
	return not_permitted(pid);
}

/* 1 when tid is now seized (to be interrupted), 0 when skipped, or -errno. */
static int seize_one(struct xs_tgt *g, pid_t tid)
{
	int idx = xs_tgt_add(g, tid, false), err;

	if (idx < 0)
		return idx;
	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)SEIZE_OPTIONS) == 0) {
		g->ts[idx].fresh = true;
		return 1;
	}
	err = errno;
	xs_tgt_drop(g, (size_t)idx);
	if (err == ESRCH)
		return 0; /* exited meanwhile */
	if (err == EPERM)
		return seize_refused(g, tid);
	errno = err;
	return xs_fail(-err, "pid %d: cannot seize thread %d", g->pub.pid, tid);
}

/*
 * While threads are stopped, our run time is their pause: at normal
 * priority, threads already released (or any busy process) take the CPU we
 * need to finish. So SCHED_FIFO from just before the first interrupt to the
 * last detach, when allowed; not while seizing: that stops no thread, and at
 * real-time priority we would only keep a running one off its CPU. The
 * waits in the door sleep, so we never spin long at that priority.
 */
static void run_realtime(struct xs_tgt *g)
{
	struct sched_param rt = { .sched_priority = 10 };

	if (g->saved_policy >= 0)
		return;
	g->saved_policy = sched_getscheduler(0);
	if (g->saved_policy < 0 || sched_getparam(0, &g->saved_param) ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt))
		g->saved_policy = -1; /* not permitted: run as we are */
}

static void run_as_before(struct xs_tgt *g)
{
	if (g->saved_policy >= 0)
		sched_setscheduler(0, g->saved_policy, &g->saved_param);
	g->saved_policy = -1;
}

/*
 * The last steps before a stop's interrupts: the wait timer set (not as the
 * threads stop: see wait_step), real-time priority, and then, if touch, the
 * pages the stop will use read (they stay warm only if no busy thread takes
 * our CPU before the interrupts), stops that came unasked taken in.
 */
static void before_interrupts(struct xs_tgt *g, long long deadline, bool touch)
{
	xs_tgt_arm_waits(g, deadline);
	run_realtime(g);
	if (touch) {
		xs_pages_touch(g->pub.pid, &g->warm);
		xs_mark("interrupt");
	}
	xs_tgt_take_unsolicited(g);
	xs_stop_log_begin();
}

/*
 * Interrupt every thread seized by seize_new, in one tight loop: the threads
 * stop together, as late as possible (seizing does not stop them). One that
 * stopped on its own since its seizing (a signal, a clone) is booked instead:
 * an interrupt would stay pending and stop it again after its next resume.
 */
static int interrupt_fresh(struct xs_tgt *g, long long deadline)
{
	bool first = true;

	for (size_t i = 0; i < g->pub.nthreads && first; i++)
		first = !g->pub.threads[i].stopped && !g->ts[i].awaiting;
	if (first && xs_tgt_exec_mark_check(g))
		return -ECANCELED;   /* nothing interrupted: detach lets every thread go */
	if (first && g->before_stop) /* still at our own priority: see run_realtime */
		g->before_stop(&g->pub, g->before_arg);
	g->before_stop = NULL; /* once */
	/* No touch for threads found late: it would make the stopped ones wait. */
	before_interrupts(g, deadline, first);
	for (size_t i = 0; i < g->pub.nthreads; i++) {
		int rc;

		if (!g->ts[i].fresh)
			continue;
		g->ts[i].fresh = false;
		if (g->pub.threads[i].stopped || g->ts[i].awaiting)
			continue;
		rc = xs_tgt_interrupt(g, i);
		if (rc) {
			xs_tgt_alarm_disarm(); /* no collect follows to disarm it */
			return rc;
		}
	}
	return 0;
}

/*
 * Whether a thread is running or runnable (state R). xs_target_attach_one
 * takes only one that waits: woken by the interrupt, and by each step of
 * our system calls after, it gets a CPU at once, where one that spins
 * waits its turn behind every other runnable thread at each step (on busy
 * CPUs, longer than stopping them all).
 */
static bool not_waiting(pid_t pid, pid_t tid)
{
	char path[64], buf[256];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold anything, ')' included */
	/* A zombie (a leader after pthread_exit) never stops: not one to hold either. */
	return p && p[1] == ' ' && (p[2] == 'R' || p[2] == 'Z' || p[2] == 'X');
}

static int seize_listed(struct xs_tgt *g, long long deadline, bool skip_busy);

/* Seize what /proc/<pid>/task lists and we do not hold yet; how many were
 * added. For xs_target_attach_one, one thread that waits; -EAGAIN when
 * none does. */
static int seize_new(struct xs_tgt *g, long long deadline)
{
	int rc = seize_listed(g, deadline, g->one);

	if (rc == 0 && g->one && !g->pub.nthreads)
		rc = xs_fail(-EAGAIN, "pid %d: every thread is running: none to hold alone",
		             g->pub.pid);
	return rc;
}

static int seize_listed(struct xs_tgt *g, long long deadline, bool skip_busy)
{
	char buf[8192] __attribute__((aligned(8)));
	int added = 0;

	if (lseek(g->task_fd, 0, SEEK_SET) < 0)
		return xs_fail(-errno, "pid %d: cannot list its threads", g->pub.pid);
	for (;;) {
		ssize_t n = getdents64(g->task_fd, buf, sizeof(buf));

		if (n < 0)
			return xs_fail(-errno, "pid %d: cannot list its threads", g->pub.pid);
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			pid_t tid = (pid_t)atoi(d->d_name);
			int rc;

			off += d->d_reclen;
			if (g->one && g->pub.nthreads) /* xs_target_attach_one: held */
				break;
			if (tid <= 0 || xs_tgt_find(g, tid) >= 0 || ignored(g, tid) ||
			    (skip_busy && not_waiting(g->pub.pid, tid)))
				continue;
			rc = seize_one(g, tid);
			if (rc < 0)
				return rc;
			added += rc;
		}
		/*
		 * procfs fills the buffer until the next entry does not fit, so
		 * room for one more (a tid entry is under 40 bytes) means the end:
		 * saves the empty getdents64 on the path that stops the target.
		 */
		if (sizeof(buf) - (size_t)n >= 256 || (g->one && g->pub.nthreads))
			break;
	}
	if (added) {
		int rc = interrupt_fresh(g, deadline);

		if (rc)
			return rc;
	}
	return added;
}

/*
 * Collect every stop due, then list the threads again: one made between the
 * last listing and the seizing of its creator was not traced at birth. Done
 * when a listing brings nothing new (a stopped process cannot add threads).
 */
static int settle(struct xs_tgt *g, long long deadline, long timeout_ms)
{
	for (;;) {
		int rc = xs_tgt_collect(g, deadline, timeout_ms, false, true);

		/* The leader's exit reported, and the process still there: an execve
		 * by another thread, which takes the leader's place */
		if (!rc && (g->execed || (g->gone && xs_tgt_exec_follows(g, deadline))))
			rc = xs_tgt_execed(g);
		if (!rc && g->gone)
			rc = xs_fail(-ESRCH, "pid %d exited while being stopped", g->pub.pid);
		if (rc || g->counted_all)
			return rc;
		rc = seize_new(g, deadline);
		if (rc <= 0)
			return rc;
	}
}

/* --- attach ---------------------------------------------------------------------- */

/* xs_target_check, and the tracer's pid from the same read of status. */
static int check_process(pid_t pid, pid_t *tracer_out)
{
	char path[64], *text, *p;
	long tgid = -1, tracer = 0, threads = 1;
	unsigned flags = 0;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (pid <= 0 || xs_proc_read_text(path, &text, NULL))
		return xs_fail(-ESRCH, "pid %d: no such process", pid);
	if ((p = strstr(text, "\nTgid:")))
		tgid = strtol(p + 6, NULL, 10);
	if ((p = strstr(text, "\nTracerPid:")))
		tracer = strtol(p + 11, NULL, 10);
	if ((p = strstr(text, "\nThreads:")))
		threads = strtol(p + 9, NULL, 10);
	free(text);
	if (xs_tgt_proc_stat(pid, 0, &state, &flags))
		return xs_fail(-ESRCH, "pid %d: no such process", pid);
	if (flags & PF_KTHREAD)
		return xs_fail(-EINVAL, "pid %d: is a kernel thread: nothing to patch", pid);
	if (tgid != pid)
		return xs_fail(-EINVAL, "pid %d is a thread of process %ld: attach to %ld instead",
		               pid, tgid, tgid);
	/* A leader that called pthread_exit is a zombie too, with threads alive. */
	if (state == 'Z' && threads <= 1)
		return xs_fail(-ESRCH, "pid %d: is a zombie (exited, not reaped)", pid);
	if (state == 'X')
		return xs_fail(-ESRCH, "pid %d: has exited", pid);
	*tracer_out = (pid_t)tracer;
	return 0;
}

int xs_target_check(pid_t pid)
{
	pid_t tracer;
	int rc = check_process(pid, &tracer);

	return rc ?: xs_tgt_exec_mark_open(pid);
}

static int precheck(pid_t pid, pid_t *tracer_out)
{
	int rc = check_process(pid, tracer_out);

	if (!rc && *tracer_out)
		rc = already_traced(pid, pid, *tracer_out);
	return rc;
}

static bool read_comm(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Whether pid runs the same program as we do (by command name): another xsplice. */
static bool same_program(pid_t pid)
{
	char path[32], mine[32], theirs[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return pid > 0 && read_comm("/proc/self/comm", mine, sizeof(mine)) &&
	       read_comm(path, theirs, sizeof(theirs)) && !strcmp(mine, theirs);
}

/*
 * Another xsplice run holding the process (in its stop, for at most its own
 * time bound) is waited for, within ours; a debugger is refused at once.
 */
static int precheck_wait(pid_t pid, long long deadline, long timeout_ms)
{
	pid_t tracer = 0;
	int rc = precheck(pid, &tracer);

	while (rc == -EBUSY && same_program(tracer) && xs_now_us() < deadline) {
		usleep(1000);
		xs_error_clear();
		tracer = 0;
		rc = precheck(pid, &tracer);
	}
	if (rc == -EBUSY && same_program(tracer))
		rc =
		    xs_fail_kind(XS_FAIL_BUSY, rc,
		                 "pid %d: another xsplice run (pid %d) still holds it after %ld ms",
		                 pid, tracer, timeout_ms);
	return rc;
}

static int open_mem(struct xs_tgt *g, pid_t tid)
{
	char path[64];

	/* Through a live thread: the mm of a leader that called pthread_exit is gone. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/mem", g->pub.pid, tid);
	g->pub.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->pub.mem_fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ESRCH)
		return xs_fail(-ESRCH, "pid %d: no such process", g->pub.pid);
	return xs_fail(errno == EACCES ? -EPERM : -errno, "pid %d: cannot open %s for writing",
	               g->pub.pid, path);
}

static bool sigchld_ignored(void)
{
	struct sigaction sa;

	/* Then stops raise no SIGCHLD here and waiting has to poll. */
	return sigaction(SIGCHLD, NULL, &sa) == 0 &&
	       (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDSTOP));
}

static int attach(pid_t pid, long timeout_ms, const struct xs_stop_hooks *hooks, bool one,
                  struct xs_target **out);

int xs_target_attach(pid_t pid, long timeout_ms, struct xs_target **out)
{
	return attach(pid, timeout_ms, NULL, false, out);
}

int xs_target_attach_one(pid_t pid, long timeout_ms, struct xs_target **out)
{
	return attach(pid, timeout_ms, NULL, true, out);
}

int xs_target_attach_hooked(pid_t pid, long timeout_ms, const struct xs_stop_hooks *hooks,
                            struct xs_target **out)
{
	return attach(pid, timeout_ms, hooks, false, out);
}

static int attach(pid_t pid, long timeout_ms, const struct xs_stop_hooks *hooks, bool one,
                  struct xs_target **out)
{
	const struct xs_pages *warm = hooks ? hooks->warm : NULL;
	long long deadline = xs_tgt_deadline(timeout_ms);
	char path[64];
	struct xs_tgt *g;
	int rc;

	*out = NULL;
	if (pid <= 0)
		return xs_fail(-ESRCH, "pid %d: no such process", pid);
	if (pid == getpid())
		return xs_fail(-EINVAL, "pid %d: cannot attach to ourselves", pid);
	rc = precheck_wait(pid, deadline, timeout_ms);
	if (rc)
		return rc;
	g = calloc(1, sizeof(*g));
	if (!g)
		return xs_fail(-ENOMEM, "pid %d: no memory", pid);
	g->pub.pid = pid;
	g->pub.mem_fd = -1;
	g->saved_policy = -1;
	g->one = one;
	if (warm && warm->n && (g->warm.addr = malloc(warm->n * sizeof(*warm->addr)))) {
		memcpy(g->warm.addr, warm->addr, warm->n * sizeof(*warm->addr));
		g->warm.n = g->warm.cap = warm->n;
	}
	if (hooks) {
		g->before_stop = hooks->before_stop;
		g->before_arg = hooks->before_arg;
		g->regs_read = hooks->regs_read;
		g->regs_arg = hooks->regs_arg;
		g->all_stopped = hooks->all_stopped;
		g->stopped_arg = hooks->stopped_arg;
		g->released = hooks->released;
		g->released_arg = hooks->released_arg;
	}
	g->poll_wait = sigchld_ignored();
	xs_tgt_alarm_prepare(); /* else made in the first stop; without it, waits poll */
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	g->task_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * Everything slow comes before the first stop: the mem file, the syscall
	 * search. If the leader is gone, mem is opened through a live thread later.
	 */
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	g->pub.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->pub.mem_fd < 0 && errno != ENOENT && errno != ESRCH)
		rc = open_mem(g, pid); /* to report why */
	if (g->task_fd < 0)
		rc = xs_fail(-ESRCH, "pid %d: no such process", pid);
	if (!rc)
		xs_tgt_find_syscall(g); /* a miss is reported when a syscall is needed */
	if (!rc)
		rc = settle(g, deadline, timeout_ms);
	if (!rc && !g->pub.nthreads)
		rc = xs_fail(-ESRCH, "pid %d exited while being attached", pid);
	if (!rc && g->pub.mem_fd < 0)
		rc = open_mem(g, g->pub.threads[0].tid);
	if (rc) {
		xs_target_detach(&g->pub); /* nothing stays stopped or traced */
		return rc;
	}
	g->pub.attached = true;
	xs_tgt_unblock();
	*out = &g->pub;
	return 0;
}

/* --- stop and resume ---------------------------------------------------------- */

int xs_target_stop(struct xs_target *t, long timeout_ms)
{
	struct xs_tgt *g = xs_tgt(t);
	long long deadline = xs_tgt_deadline(timeout_ms);
	int rc = 0;

	if (g->execed)
		return xs_tgt_execed(g);
	if (g->gone)
		return xs_fail(-ESRCH, "pid %d has exited", t->pid);
	before_interrupts(g, deadline, true);
	/* Interrupt all first, then wait: the threads stop in parallel. */
	for (size_t i = 0; i < t->nthreads && !rc; i++)
		if (!t->threads[i].stopped && !g->ts[i].awaiting)
			rc = xs_tgt_interrupt(g, i);
	if (!rc)
		rc = settle(g, deadline, timeout_ms);
	else
		xs_tgt_alarm_disarm(); /* armed above for settle's waits, which do not come */
	xs_tgt_unblock();
	return rc;
}

/* Stopped thread i, made ready (xs_tgt_prepare_release), goes back to its code. */
static void let_go(struct xs_tgt *g, size_t i)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	int sig = ts->stop == XS_STOP_SIGNAL ? th->pending_signal : 0;

	/* Group-stopped by someone's SIGSTOP: stays stopped, but we hear of SIGCONT. */
	if (ts->stop == XS_STOP_GROUP && !th->pending_signal &&
	    xs_tgt_resume_one(g, i, PTRACE_LISTEN, 0) == 0) {
		ts->listening = true;
		return;
	}
	if (xs_tgt_resume_one(g, i, PTRACE_CONT, sig)) {
		th->stopped = false; /* killed meanwhile: its exit is collected at the next stop */
		ts->awaiting = true;
	} else if (sig) {
		th->pending_signal = 0;
		ts->si_valid = false;
	}
}

/*
 * Two passes, so that releasing is one tight loop of PTRACE_CONT: everything
 * slow (registers put back, signals re-queued) happens first, while all
 * threads are still stopped. Threads go in the order they were stopped, so
 * each sees about the same pause; the first stopped is the first let go.
 * Thread keep (if one) stays stopped.
 */
int xs_tgt_resume(struct xs_tgt *g, size_t keep)
{
	struct xs_target *t = &g->pub;
	long long deadline = xs_tgt_deadline(XS_TGT_STEP_MS);
	int rc = 0;

	if (g->execed)
		return xs_tgt_execed(g);
	if (g->gone)
		return xs_fail(-ESRCH, "pid %d has exited", t->pid);
	for (size_t i = 0; i < t->nthreads && !rc; i++) {
		int sig;

		if (t->threads[i].stopped && i != keep)
			rc = xs_tgt_prepare_release(g, i, deadline, &sig);
	}
	xs_tgt_unblock();
	if (rc)
		return rc;
	xs_seccomp_forget(g); /* running threads may add filters */
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].stopped && i != keep)
			let_go(g, i);
	xs_stop_log_end();
	return 0;
}

int xs_target_resume(struct xs_target *t)
{
	return xs_tgt_resume(xs_tgt(t), SIZE_MAX);
}

int xs_tgt_resume_one_thread(struct xs_tgt *g, size_t i)
{
	int sig, rc = xs_tgt_prepare_release(g, i, xs_tgt_deadline(XS_TGT_STEP_MS), &sig);

	xs_tgt_unblock();
	if (!rc)
		let_go(g, i);
	return rc;
}

/* --- detach ---------------------------------------------------------------------- */

static void reap(pid_t tid)
{
	int st;

	/* A thread that died while traced is a zombie only we can collect. */
	waitpid(tid, &st, __WALL | WNOHANG);
}

static void detach_one(struct xs_tgt *g, size_t i)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	int sig = ts->stop == XS_STOP_SIGNAL ? th->pending_signal : 0;

	if (ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)sig) < 0) {
		if (errno == ESRCH)
			reap(th->tid);
		return;
	}
	/* Signals held beyond the first, and one we could not inject, go the plain way. */
	if (th->pending_signal && !sig)
		syscall(SYS_tgkill, g->pub.pid, th->tid, th->pending_signal);
	for (unsigned k = 0; k < ts->nextra; k++)
		syscall(SYS_tgkill, g->pub.pid, th->tid, ts->extra[k]);
}

/* Every thread in a stop we hold, none on its way to one: nothing to collect. */
static bool all_held(const struct xs_tgt *g)
{
	for (size_t i = 0; i < g->pub.nthreads; i++)
		if (!g->pub.threads[i].stopped || g->ts[i].awaiting)
			return false;
	return true;
}

/*
 * Stop what still runs (a thread can only be detached from a stop), prepare
 * every thread, then detach them in one loop. Safe on a half-attached target
 * and on a dead one (everything answers ESRCH then).
 */
/*
 * After execve what we hold belongs to a program that is gone: the registers
 * and signals we kept, the threads execve killed. The thread that ran it is
 * in its exec stop, under the pid, before any new code: let it go as it is.
 */
static void release_execed(struct xs_tgt *g)
{
	for (size_t i = 0; i < g->pub.nthreads; i++)
		if (ptrace(PTRACE_DETACH, g->pub.threads[i].tid, 0, 0) < 0 && errno == ESRCH)
			reap(g->pub.threads[i].tid);
	ptrace(PTRACE_DETACH, g->pub.pid, 0, 0); /* if its entry was dropped */
	for (size_t i = 0; i < g->nignored; i++)
		reap(g->ignored[i]);
	xs_stop_log_end();
}

static void release_all(struct xs_tgt *g)
{
	long long deadline = xs_tgt_deadline(XS_TGT_DETACH_MS);
	size_t i;

	/* Every wait for a thread that ran learns of an execve (xs_tgt_wait_stop). */
	if (g->execed) {
		release_execed(g);
		return;
	}

	/* The usual way out of a stop: every thread held. Then the peek for
	 * unsolicited stops and the collection would find nothing, and cost a
	 * system call per thread before the first thread goes. */
	if (!g->gone && !all_held(g)) {
		xs_tgt_take_unsolicited(g);
		for (i = 0; i < g->pub.nthreads; i++)
			if (!g->pub.threads[i].stopped && !g->ts[i].awaiting)
				xs_tgt_interrupt(g, i);
		if (xs_tgt_collect(g, deadline, XS_TGT_DETACH_MS, true, false))
			xs_debug("pid %d: %s", g->pub.pid, xs_error_message());
		if (g->execed) { /* found by that collection */
			release_execed(g);
			return;
		}
	}
	for (i = 0; i < g->pub.nthreads; i++) {
		if (g->pub.threads[i].stopped)
			continue;
		if (g->ts[i].awaiting)
			xs_debug("pid %d: thread %d never stopped; it stays traced until we exit",
			         g->pub.pid, g->pub.threads[i].tid);
		else
			reap(g->pub.threads[i].tid);
	}
	/* Prepare all (registers, signals), then let go in one loop. */
	for (i = 0; i < g->pub.nthreads; i++) {
		int sig;

		if (g->pub.threads[i].stopped && xs_tgt_prepare_release(g, i, deadline, &sig))
			xs_debug("pid %d: thread %d: %s", g->pub.pid, g->pub.threads[i].tid,
			         xs_error_message());
	}
	xs_mark("prepared");
	for (i = 0; i < g->pub.nthreads; i++)
		if (g->pub.threads[i].stopped) {
			detach_one(g, i);
			if (i == 0)
				xs_mark("first detached");
		}
	xs_mark("detached");
	xs_stop_log_end();
	for (i = 0; i < g->nignored; i++)
		reap(g->ignored[i]);
}

void xs_target_detach(struct xs_target *t)
{
	struct xs_tgt *g;

	if (!t)
		return;
	g = xs_tgt(t);
	release_all(g);
	run_as_before(g);
	xs_stop_log_flush();
	xs_tgt_unblock();
	xs_seccomp_forget(g);
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	if (g->task_fd >= 0)
		close(g->task_fd);
	free(t->threads);
	free(g->ts);
	free(g->ignored);
	xs_pages_free(&g->warm);
	free(g);
}
