/* SPDX-License-Identifier: MIT */
/*
 * The target door, attach side: stopping and releasing real multi-threaded
 * processes (pause times printed), blocking calls that must not see EINTR,
 * threads born while we attach, signals held and re-delivered, refusals.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/futex.h>

#include "target/stop_log.h"
#include "target_fixture.h"

/* --- the children ------------------------------------------------------------------ */

static void *busy_worker(void *arg)
{
	int k = (int)(intptr_t)arg, gen = -1;
	long long last = now_us();

	sh->tid[k] = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct timespec ts = { 0, 1000000 };
		long long now;

		syscall(SYS_nanosleep, &ts, NULL);
		now = now_us();
		if (gen != sh->gap_gen) {
			gen = sh->gap_gen;
			sh->maxgap_us[k] = 0;
		} else if (now - last > sh->maxgap_us[k]) {
			sh->maxgap_us[k] = now - last;
		}
		last = now;
		sh->counter[k]++;
	}
	return NULL;
}

/* Every worker has published its tid (they start in any order). */
static bool all_tids(void)
{
	for (int k = 0; k < NT; k++)
		if (!sh->tid[k])
			return false;
	return true;
}

static void child_busy(void)
{
	pthread_t th;

	for (int k = 0; k < NT; k++)
		pthread_create(&th, NULL, busy_worker, (void *)(intptr_t)k);
	for (;;) {
		struct timespec ts = { 0, 5000000 };

		syscall(SYS_nanosleep, &ts, NULL);
		sh->loops++;
	}
}

static int pipe_read[2], pipe_poll[2], pipe_epoll[2], listen_fd;

enum { B_SLEEP, B_READ, B_ACCEPT, B_FUTEX, B_POLL, B_EPOLL, B_COND, NBLOCK };
static const char *const block_names[NBLOCK] = {
	[B_SLEEP] = "nanosleep",
	[B_READ] = "read",
	[B_ACCEPT] = "accept",
	[B_FUTEX] = "futex",
	[B_POLL] = "poll",
	[B_EPOLL] = "epoll_wait",
	[B_COND] = "pthread_cond_wait",
};

static long do_block(int k)
{
	struct timespec two = { 2, 0 };
	struct pollfd pfd = { pipe_poll[0], POLLIN, 0 };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	long long start;
	char c;
	int ep;
	long r = 0;

	switch (k) {
	case B_SLEEP:
		start = now_us();
		r = syscall(SYS_nanosleep, &two, NULL);
		sh->slept_ms = (now_us() - start) / 1000;
		return r;
	case B_READ:
		return syscall(SYS_read, pipe_read[0], &c, 1);
	case B_ACCEPT:
		return syscall(SYS_accept, listen_fd, NULL, NULL);
	case B_FUTEX:
		return syscall(SYS_futex, &sh->futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	case B_POLL:
		return syscall(SYS_poll, &pfd, 1, -1);
	case B_EPOLL:
		ep = epoll_create1(0);
		epoll_ctl(ep, EPOLL_CTL_ADD, pipe_epoll[0], &ev);
		sh->ready[k] = 1;
		return syscall(SYS_epoll_wait, ep, &out, 1, -1);
	default:
		pthread_mutex_lock(&sh->mtx);
		sh->ready[k] = 1;
		while (!sh->cond_flag)
			r = pthread_cond_wait(&sh->cond, &sh->mtx);
		pthread_mutex_unlock(&sh->mtx);
		return r;
	}
}

static void *block_worker(void *arg)
{
	int k = (int)(intptr_t)arg;
	long r;

	sh->ready[k] = 1;
	errno = 0;
	r = do_block(k);
	sh->err[k] = r < 0 ? errno : 0;
	sh->result[k] = r;
	sh->ready[k] = 2;
	return NULL;
}

static void child_blocking(void)
{
	pthread_t th[NBLOCK];

	/* The main thread sleeps itself: injected syscalls run in it (threads[0]). */
	for (int k = 1; k < NBLOCK; k++)
		pthread_create(&th[k], NULL, block_worker, (void *)(intptr_t)k);
	block_worker((void *)(intptr_t)B_SLEEP);
	for (int k = 1; k < NBLOCK; k++)
		pthread_join(th[k], NULL);
	for (;;)
		pause();
}

static void *spawned_thread(void *arg)
{
	(void)arg;
	sh->spawned++;
	return NULL;
}

static void child_spawner(void)
{
	for (;;) {
		struct timespec ts = { 0, 1000000 };
		pthread_t th;

		if (pthread_create(&th, NULL, spawned_thread, NULL) == 0)
			pthread_join(th, NULL);
		syscall(SYS_nanosleep, &ts, NULL);
	}
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sh->sig_code = si->si_code;
	sh->sig_value = si->si_value.sival_int;
	sh->sig_pid = si->si_pid;
	sh->sig_count++;
}

static void on_trap(int sig)
{
	(void)sig;
	sh->trap_count++;
}

static void child_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGTRAP, on_trap);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTRAP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		struct timespec ts = { 0, 5000000 };

		syscall(SYS_nanosleep, &ts, NULL);
		sh->loops++;
	}
}

static void *leader_worker(void *arg)
{
	(void)arg;
	sh->worker = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct timespec ts = { 0, 1000000 };

		syscall(SYS_nanosleep, &ts, NULL);
		sh->loops++;
	}
	return NULL;
}

static void child_zombie_leader(void)
{
	pthread_t th;

	pthread_create(&th, NULL, leader_worker, NULL);
	pthread_exit(NULL);
}

static void child_exit(void)
{
}

/* Three pages the parent fills before forking; the child then takes read
 * permission from the last two. */
#define HIDDEN_PAGES 3
static unsigned char *hidden;

static void child_hidden(void)
{
	mprotect(hidden + 4096, (HIDDEN_PAGES - 1) * 4096, PROT_NONE);
	sh->ready[0] = 1;
	for (;;)
		pause();
}

static pid_t tracer_target;

/* A debugger: named apart from us, so refused at once (a tracer running a
 * program of our name is another xsplice run, waited for: tests/cases/concurrent). */
static void child_tracer(void)
{
	prctl(PR_SET_NAME, "debugger");
	if (ptrace(PTRACE_SEIZE, tracer_target, 0, 0) == 0)
		sh->worker = getpid();
	else
		sh->worker = -1;
	for (;;)
		pause();
}

/* --- the tests -------------------------------------------------------------------- */

static bool all_counting(const long *before)
{
	for (int k = 0; k < NT; k++)
		if (sh->counter[k] <= before[k])
			return false;
	return true;
}

static void test_pause(void)
{
	long long pause[50], attach[50], cycle[50], gap = 0;
	long before[NT];
	struct xs_target *t = NULL;
	bool all_ok = true;
	pid_t pid;
	int rc;

	reset_shared();
	pid = spawn(child_busy);
	check(WAIT_FOR(all_tids() && sh->counter[NT - 1] > 2, 10000),
	      "busy target: %d threads running", NT);
	sh->gap_gen++;
	sleep_us(20000);
	for (int k = 0; k < 50; k++) {
		long long t0 = now_us(), t1;

		rc = xs_target_attach(pid, 1000, &t);
		t1 = now_us();
		if (rc || t->nthreads != NT + 1) {
			all_ok = false;
			printf("  attach %d: rc %d, %zu threads: %s\n", k, rc, t ? t->nthreads : 0,
			       xs_error_message());
		}
		xs_target_detach(t);
		t = NULL;
		pause[k] = now_us() - t0;
		attach[k] = t1 - t0;
		sleep_us(2000);
	}
	check(all_ok, "50 attach/detach cycles, %d threads stopped each time", NT + 1);
	for (int k = 0; k < NT; k++)
		before[k] = sh->counter[k];
	check(WAIT_FOR(all_counting(before), 10000), "all %d threads keep counting afterwards", NT);
	for (int k = 0; k < NT; k++)
		gap = sh->maxgap_us[k] > gap ? sh->maxgap_us[k] : gap;
	check(status_num(pid, 0, "Threads", 10) == NT + 1 && alive(pid), "no thread died");
	median(attach, 50);
	median(pause, 50);
	printf("  attach: median %lld us, max %lld us\n", attach[25], attach[49]);
	printf("  attach+detach pause (tracer): median %lld us, max %lld us\n", pause[25],
	       pause[49]);
	printf("  longest gap a thread saw in its 1 ms sleep loop: %lld us\n", gap);
	check(pause[25] < 50000,
	      "median attach+detach pause under 50 ms, even on a loaded machine (%lld us)",
	      pause[25]);

	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0, "attach for stop/resume cycles");
	/* As root: real-time while the threads are held, as before once let go. */
	check((sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO,
	      "the tracer runs at SCHED_FIFO while the target is stopped");
	all_ok = rc == 0;
	for (int k = 0; k < 50 && all_ok; k++) {
		long long t0;

		all_ok = xs_target_resume(t) == 0;
		sleep_us(2000);
		t0 = now_us();
		all_ok = all_ok && xs_target_stop(t, 1000) == 0 && xs_target_resume(t) == 0;
		cycle[k] = now_us() - t0;
		all_ok = all_ok && xs_target_stop(t, 1000) == 0 && t->nthreads == NT + 1;
	}
	check(all_ok, "50 stop/resume cycles");
	if (all_ok) {
		median(cycle, 50);
		printf("  stop+resume pause (tracer): median %lld us, max %lld us\n", cycle[25],
		       cycle[49]);
	}
	xs_target_detach(t);
	check(sched_getscheduler(0) == SCHED_OTHER, "and at its own policy again after the detach");
	check(alive(pid) && status_num(pid, 0, "TracerPid", 10) == 0,
	      "busy target alive and untraced");
	finish(pid);
}

struct hook_seen {
	pid_t pid;
	int calls, calls_not_all_held;
	long long last_call_ns;
};

/* The all_stopped hook: every thread of the process in a ptrace stop ('t'). */
static void on_all_stopped(struct xs_target *t, void *arg)
{
	struct hook_seen *seen = arg;
	bool held = t->nthreads == NT + 1;

	for (size_t i = 0; held && i < t->nthreads; i++)
		held = proc_state(seen->pid, t->threads[i].tid) == 't';
	seen->calls++;
	seen->calls_not_all_held += !held;
	seen->last_call_ns = xs_now_ns();
}

/* settle's first pass, before any interrupt, must not call it. */
static void test_all_stopped_hook(void)
{
	struct hook_seen seen = { 0 };
	struct xs_stop_hooks hooks = { .all_stopped = on_all_stopped, .stopped_arg = &seen };
	struct xs_target *t = NULL;
	pid_t pid;
	int rc;

	reset_shared();
	pid = spawn(child_busy);
	seen.pid = pid;
	check(WAIT_FOR(all_tids() && sh->counter[NT - 1] > 2, 10000), "busy target for the hook");
	rc = xs_target_attach_hooked(pid, 1000, &hooks, &t);
	check(rc == 0 && seen.calls == 1 && !seen.calls_not_all_held,
	      "attach: hook called once, with all %d threads held (%d calls, %d not held)", NT + 1,
	      seen.calls, seen.calls_not_all_held);
	if (!rc) {
		rc = xs_target_resume(t);
		sleep_us(2000);
		rc = rc ? rc : xs_target_stop(t, 1000);
		check(rc == 0 && seen.calls == 2 && !seen.calls_not_all_held,
		      "stop again: called once more, all held (%d calls, %d not held)", seen.calls,
		      seen.calls_not_all_held);
		xs_target_detach(t);
	}
	finish(pid);
}

/*
 * XSPLICE_STOPS: one line a stop, spanning the time its threads were held
 * (the all_stopped hook's call), written at the detach.
 */
static void test_stop_log(void)
{
	char path[] = "/tmp/xsplice-test-stops-XXXXXX";
	struct hook_seen seen = { 0 };
	struct xs_stop_hooks hooks = { .all_stopped = on_all_stopped, .stopped_arg = &seen };
	unsigned long long b[3] = { 0 }, e[3] = { 0 };
	long long held_ns[2] = { 0 }, before_ns, between_ns = 0;
	struct xs_target *t = NULL;
	int fd = mkstemp(path), n = 0;
	FILE *f = NULL;
	pid_t pid;

	reset_shared();
	pid = spawn(child_busy);
	seen.pid = pid;
	check(fd >= 0 && WAIT_FOR(all_tids() && sh->counter[NT - 1] > 2, 10000),
	      "busy target for the stop log");
	setenv(XS_STOPS_ENV, path, 1);
	before_ns = xs_now_ns();
	if (xs_target_attach_hooked(pid, 1000, &hooks, &t) == 0) {
		held_ns[0] = seen.last_call_ns;
		xs_target_resume(t);
		between_ns = xs_now_ns();
		sleep_us(2000);
		if (xs_target_stop(t, 1000) == 0)
			held_ns[1] = seen.last_call_ns;
		xs_target_detach(t);
	}
	unsetenv(XS_STOPS_ENV);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	while (f && n < 3 && fscanf(f, XS_STOPS_FMT, &b[n], &e[n]) == 2)
		n++;
	check(n == 2, "two stops logged (%d)", n);
	check((long long)b[0] >= before_ns && held_ns[0] > (long long)b[0] &&
	          held_ns[0] < (long long)e[0] && (long long)e[0] <= between_ns,
	      "the attach's stop spans its hold (%llu < %lld < %llu)", b[0], held_ns[0], e[0]);
	check((long long)b[1] > between_ns && held_ns[1] > (long long)b[1] &&
	          held_ns[1] < (long long)e[1],
	      "the second stop spans its hold (%llu < %lld < %llu)", b[1], held_ns[1], e[1]);
	if (f)
		fclose(f);
	unlink(path);
	finish(pid);
}

/*
 * epoll_wait is the exception the kernel makes: it returns EINTR after any
 * stop, never restarting (signal(7), "interruption by stop signals"), with a
 * debugger as with us. Checked apart: it may return 1 or fail with EINTR.
 */
static bool all_ready(int v)
{
	for (int k = 0; k < NBLOCK; k++)
		if (k != B_EPOLL && sh->ready[k] != v)
			return false;
	return true;
}

static bool inject_some(struct xs_target *t, pid_t pid)
{
	bool ok = true;

	for (int k = 0; k < 10; k++) {
		uint64_t a[6] = {
			0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1,
			0
		};
		long ret = 0, addr = 0;

		if (k % 2 == 0) {
			ok &= xs_target_syscall(t, SYS_getpid, a, &ret) == 0 && ret == pid;
			ok &= xs_target_syscall(t, SYS_getpid, a, &ret) == 0 && ret == pid;
			continue;
		}
		ok &= xs_target_syscall(t, SYS_mmap, a, &addr) == 0 && addr > 0;
		a[0] = (uint64_t)addr;
		ok &= xs_target_syscall(t, SYS_munmap, a, &ret) == 0 && ret == 0;
	}
	return ok;
}

static void test_blocking(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct xs_target *t = NULL;
	pid_t pid;
	bool ok;
	int rc, c;

	reset_shared();
	snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/xs-test-target-%d.sock", getpid());
	unlink(un.sun_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (pipe(pipe_read) || pipe(pipe_poll) || pipe(pipe_epoll) ||
	    bind(listen_fd, (struct sockaddr *)&un, sizeof(un)) || listen(listen_fd, 4)) {
		check(false, "blocking target: set up pipes and socket");
		return;
	}
	pid = spawn(child_blocking);
	check(WAIT_FOR(all_ready(1), 10000), "blocking target: %d threads about to block", NBLOCK);
	sleep_us(100000); /* well inside their system calls */
	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0 && t->nthreads == NBLOCK, "attach to the blocked threads");
	if (!rc) {
		ok = inject_some(t, pid);
		for (int k = 0; k < 3 && ok; k++)
			ok = !xs_target_resume(t) && !xs_target_stop(t, 1000);
		ok = ok && inject_some(t, pid);
		check(ok, "20 injected syscalls (getpid, mmap+munmap) and 3 stop/resume cycles");
		xs_target_detach(t);
	}
	sleep_us(50000);
	check(all_ready(1), "no blocked call returned early after detach");
	c = write(pipe_read[1], "x", 1) + write(pipe_poll[1], "x", 1) +
	    write(pipe_epoll[1], "x", 1);
	int cfd = socket(AF_UNIX, SOCK_STREAM, 0);

	c += connect(cfd, (struct sockaddr *)&un, sizeof(un)) == 0;
	__atomic_store_n(&sh->futex_word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &sh->futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_mutex_lock(&sh->mtx);
	sh->cond_flag = 1;
	pthread_cond_signal(&sh->cond);
	pthread_mutex_unlock(&sh->mtx);
	check(c == 4, "woke the blocked threads");
	check(WAIT_FOR(all_ready(2) && sh->ready[B_EPOLL] == 2, 10000),
	      "every blocked call completed");
	check(
	    sh->result[B_EPOLL] == 1 || sh->err[B_EPOLL] == EINTR,
	    "epoll_wait returned %ld, errno %d (EINTR is the kernel's rule for epoll after a stop)",
	    sh->result[B_EPOLL], sh->err[B_EPOLL]);
	for (int k = 0; k < NBLOCK; k++) {
		if (k == B_EPOLL)
			continue;
		long want_min = k == B_POLL || k == B_EPOLL || k == B_READ ? 1 : 0;

		check(sh->result[k] >= want_min && sh->err[k] == 0 &&
		          (k == B_ACCEPT || sh->result[k] == want_min),
		      "%s returned %ld (errno %d: %s)", block_names[k], sh->result[k], sh->err[k],
		      sh->err[k] ? strerror(sh->err[k]) : "none");
	}
	check(sh->slept_ms >= 2000, "nanosleep(2 s) slept the full time: %lld ms", sh->slept_ms);
	finish(pid);
	close(cfd);
	close(listen_fd);
	unlink(un.sun_path);
	for (int k = 0; k < 2; k++) {
		close(pipe_read[k]);
		close(pipe_poll[k]);
		close(pipe_epoll[k]);
	}
}

/* Every thread of the process is ours and stopped: 0, or how many are not. */
static int stray_threads(struct xs_target *t, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int bad = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		pid_t tid = atoi(d->d_name);
		char s;
		ssize_t i;

		if (tid <= 0)
			continue;
		i = thread_index(t, tid);
		s = proc_state(pid, tid);
		if (s == 'Z' || s == 'X' || s == 0)
			continue; /* exiting untraced, gone any moment */
		if (i < 0 || s != 't' || !t->threads[i].stopped) {
			printf("  thread %d: state %c, %s\n", tid, s,
			       i < 0 ? "not in the table" : "in the table");
			bad++;
		}
	}
	closedir(dir);
	return bad;
}

static void test_spawner(void)
{
	struct xs_target *t = NULL;
	int bad = 0, failed = 0;
	long before;
	pid_t pid;

	reset_shared();
	pid = spawn(child_spawner);
	check(WAIT_FOR(sh->spawned > 5, 10000), "spawner target creates threads");
	for (int k = 0; k < 100; k++) {
		if (xs_target_attach(pid, 1000, &t)) {
			printf("  attach %d: %s\n", k, xs_error_message());
			failed++;
			continue;
		}
		bad += stray_threads(t, pid);
		xs_target_detach(t);
		sleep_us(300 + (k % 7) * 300);
	}
	check(
	    !failed && !bad,
	    "100 attaches: every thread in /proc/%d/task held and in state t (%d failures, %d strays)",
	    pid, failed, bad);
	before = sh->spawned;
	check(WAIT_FOR(sh->spawned > before + 5, 10000) && alive(pid),
	      "spawner still creates threads afterwards");
	finish(pid);
}

static void test_signals(void)
{
	struct xs_target *t = NULL;
	unsigned long long blk, cgt;
	union sigval v;
	pid_t pid;
	bool ok;

	reset_shared();
	pid = spawn(child_signals);
	check(WAIT_FOR(sh->loops > 2, 10000), "signal target runs");
	blk = status_num(pid, 0, "SigBlk", 16);
	cgt = status_num(pid, 0, "SigCgt", 16);

	/* (a) sent while we hold it */
	ok = xs_target_attach(pid, 1000, &t) == 0;
	v.sival_int = 1;
	sigqueue(pid, SIGUSR1, v);
	sleep_us(20000);
	ok = ok && sh->sig_count == 0;
	xs_target_detach(t);
	ok = ok && WAIT_FOR(sh->sig_count == 1, 10000);
	check(ok && sh->sig_value == 1 && sh->sig_code == SI_QUEUE && sh->sig_pid == getpid(),
	      "signal sent while held: handler ran once after detach, siginfo intact (count %d)",
	      sh->sig_count);

	/* (b) dequeued by an injected syscall, re-delivered at detach */
	ok = xs_target_attach(pid, 1000, &t) == 0;
	v.sival_int = 2;
	sigqueue(pid, SIGUSR1, v);
	sleep_us(5000);
	ok = ok && inject_some(t, pid) && sh->sig_count == 1;
	xs_target_detach(t);
	ok = ok && WAIT_FOR(sh->sig_count == 2, 10000);
	check(
	    ok && sh->sig_value == 2 && sh->sig_code == SI_QUEUE,
	    "signal taken during injected syscalls: delivered once at detach with its siginfo (count %d, code %d)",
	    sh->sig_count, sh->sig_code);

	/* (c) arrives while resumed, collected by the next stop */
	ok = xs_target_attach(pid, 1000, &t) == 0;
	v.sival_int = 3;
	sigqueue(pid, SIGUSR1, v);
	ok = ok && !xs_target_resume(t);
	sleep_us(20000);
	ok = ok && !xs_target_stop(t, 3000) && inject_some(t, pid);
	ok = ok && !xs_target_resume(t);
	sleep_us(10000);
	ok = ok && !xs_target_stop(t, 1000);
	xs_target_detach(t);
	ok = ok && WAIT_FOR(sh->sig_count == 3, 10000);
	check(ok && sh->sig_value == 3,
	      "signal during a resume/stop cycle: delivered once (count %d)", sh->sig_count);

	sleep_us(20000);
	check(sh->sig_count == 3, "no signal delivered twice");
	check(status_num(pid, 0, "SigBlk", 16) == blk && status_num(pid, 0, "SigCgt", 16) == cgt,
	      "signal mask and handlers unchanged (SigBlk %llx)", blk);
	check(sh->trap_count == 0 && alive(pid), "target alive, no stray SIGTRAP");
	finish(pid);
}

static void test_group_stop(void)
{
	struct xs_target *t = NULL;
	long loops;
	pid_t pid;
	bool ok;

	reset_shared();
	pid = spawn(child_signals);
	check(WAIT_FOR(sh->loops > 2, 10000), "group-stop target runs");
	kill(pid, SIGSTOP);
	check(WAIT_FOR(proc_state(pid, 0) == 'T', 10000), "stopped by SIGSTOP");
	loops = sh->loops;
	ok = xs_target_attach(pid, 1000, &t) == 0;
	ok = ok && !xs_target_resume(t);
	sleep_us(30000);
	ok = ok && sh->loops == loops && !xs_target_stop(t, 1000);
	xs_target_detach(t);
	check(ok, "attach, resume and stop a SIGSTOPped process: it does not run");
	ok = WAIT_FOR(proc_state(pid, 0) == 'T', 10000);
	sleep_us(20000);
	check(ok && proc_state(pid, 0) == 'T' && sh->loops == loops, "still stopped after detach");
	kill(pid, SIGCONT);
	check(WAIT_FOR(sh->loops > loops + 2, 10000), "runs again after SIGCONT");
	finish(pid);
}

static void test_zombie_leader(void)
{
	struct xs_target *t = NULL;
	uint64_t args[6] = { 0 };
	long ret = 0, loops;
	pid_t pid;
	int rc;

	reset_shared();
	pid = spawn(child_zombie_leader);
	check(WAIT_FOR(sh->worker && proc_state(pid, pid) == 'Z' && sh->loops > 2, 10000),
	      "leader called pthread_exit, worker runs");
	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0 && t->nthreads == 1 && t->threads[0].tid == sh->worker,
	      "attach holds the one live thread (rc %d)", rc);
	if (!rc) {
		static unsigned char page[4096];
		long probe = 0;

		check(!xs_target_read(t, (uintptr_t)&sh->loops, &probe, sizeof(probe)) && probe > 0,
		      "memory readable without the leader");
		/* A page or more: process_vm_readv through the leader's pid fails. */
		check(!xs_target_read(t, (uintptr_t)sh, page, sizeof(page)) &&
		          ((struct shared *)page)->loops > 0,
		      "a whole page readable without the leader");
		check(!xs_target_syscall(t, SYS_getpid, args, &ret) && ret == pid,
		      "syscall runs in the live thread: getpid = %ld", ret);
		xs_target_detach(t);
	}
	loops = sh->loops;
	check(WAIT_FOR(sh->loops > loops + 2, 10000), "worker runs after detach");
	finish(pid);
}

static bool hidden_as_filled(const unsigned char *buf, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (unsigned char)((off + i) * 7))
			return false;
	return true;
}

/* Reads of a page or more try process_vm_readv, which cannot read pages
 * without PROT_READ; the mem file (FOLL_FORCE) must take over, whole. */
static void test_hidden_reads(void)
{
	const size_t size = HIDDEN_PAGES * 4096;
	unsigned char *buf = malloc(size);
	struct iovec local = { buf, size }, remote;
	struct xs_target *t = NULL;
	pid_t pid;
	int rc;

	hidden = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!buf || hidden == MAP_FAILED) {
		check(false, "memory for the hidden pages");
		free(buf);
		return;
	}
	for (size_t i = 0; i < size; i++)
		hidden[i] = (unsigned char)(i * 7);
	reset_shared();
	pid = spawn(child_hidden);
	check(WAIT_FOR(sh->ready[0], 10000), "child hid two pages");
	remote = (struct iovec){ hidden, size };
	check(process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)size,
	      "process_vm_readv cannot read them (so the fallback is what is tested)");
	memset(buf, 0, size);
	rc = xs_proc_read(pid, (uintptr_t)hidden, buf, size);
	check(rc == 0 && hidden_as_filled(buf, 0, size), "xs_proc_read: all %d pages (rc %d)",
	      HIDDEN_PAGES, rc);
	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0, "attach (rc %d)", rc);
	if (!rc) {
		memset(buf, 0, size);
		rc = xs_target_read(t, (uintptr_t)hidden + 4096, buf, size - 4096);
		check(rc == 0 && hidden_as_filled(buf, 4096, size - 4096),
		      "xs_target_read: the two hidden pages (rc %d)", rc);
		memset(buf, 0, size);
		rc = xs_target_read(t, (uintptr_t)hidden, buf, size);
		check(rc == 0 && hidden_as_filled(buf, 0, size),
		      "xs_target_read: a visible page and two hidden ones (rc %d)", rc);
		xs_target_detach(t);
	}
	finish(pid);
	munmap(hidden, size);
	free(buf);
}

static void test_refusals(void)
{
	struct xs_target *t = NULL;
	char want[96];
	pid_t pid, gone, helper;
	int rc, st;

	gone = spawn(child_exit);
	waitpid(gone, &st, 0);
	finish(gone);
	rc = xs_target_attach(gone, 500, &t);
	check(rc == -ESRCH && strstr(xs_error_message(), "no such process"),
	      "pid %d that exited: -ESRCH \"%s\"", gone, xs_error_message());
	xs_error_clear();

	pid = spawn(child_exit);
	check(WAIT_FOR(proc_state(pid, 0) == 'Z', 10000), "zombie child");
	rc = xs_target_attach(pid, 500, &t);
	check(rc == -ESRCH && strstr(xs_error_message(), "zombie"), "zombie: -ESRCH \"%s\"",
	      xs_error_message());
	xs_error_clear();
	finish(pid);

	if (proc_state(2, 0)) {
		rc = xs_target_attach(2, 500, &t);
		check(rc == -EINVAL && strstr(xs_error_message(), "kernel thread"),
		      "kernel thread: -EINVAL \"%s\"", xs_error_message());
		xs_error_clear();
	}

	reset_shared();
	pid = spawn(child_busy);
	check(WAIT_FOR(all_tids(), 10000), "busy target for refusals");
	rc = xs_target_attach(sh->tid[3], 500, &t);
	check(rc == -EINVAL && strstr(xs_error_message(), "is a thread of process"),
	      "thread id instead of pid: -EINVAL \"%s\"", xs_error_message());
	xs_error_clear();

	for (int which = 0; which < 2; which++) {
		sh->worker = 0;
		tracer_target = which ? sh->tid[5] : pid; /* whole process, then one thread */
		helper = spawn(child_tracer);
		check(WAIT_FOR(sh->worker != 0, 10000) && sh->worker == helper,
		      "second tracer holds %s", which ? "one thread" : "the process");
		rc = xs_target_attach(pid, 1000, &t);
		snprintf(want, sizeof(want), "already traced by pid %d", helper);
		check(rc == -EBUSY && strstr(xs_error_message(), want),
		      "already traced: -EBUSY \"%s\"", xs_error_message());
		xs_error_clear();
		check(status_num(pid, 0, "TracerPid", 10) ==
		              (unsigned long long)(which ? 0 : helper) &&
		          proc_state(pid, 0) != 't',
		      "the failed attach left nothing traced or stopped");
		finish(helper);
	}
	long before = sh->counter[0];

	check(WAIT_FOR(sh->counter[0] > before + 3, 10000) && alive(pid), "target runs on");
	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0, "attach works once the other tracer is gone");
	xs_target_detach(t);
	finish(pid);
}

static void on_chld(int sig)
{
	(void)sig;
}

/* With SIGCHLD ignored or SA_NOCLDSTOP, stops raise no signal: waiting polls. */
static void test_no_sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_NOCLDSTOP }, old;
	struct xs_target *t = NULL;
	long long t0, worst = 0;
	bool ok = true;
	pid_t pid;

	reset_shared();
	pid = spawn(child_busy);
	check(WAIT_FOR(all_tids(), 10000), "busy target for the polling wait");
	sigaction(SIGCHLD, &sa, &old);
	for (int k = 0; k < 10 && ok; k++) {
		t0 = now_us();
		ok = !xs_target_attach(pid, 1000, &t) && t->nthreads == NT + 1 &&
		     !xs_target_resume(t) && !xs_target_stop(t, 1000);
		xs_target_detach(t);
		t = NULL;
		worst = now_us() - t0 > worst ? now_us() - t0 : worst;
	}
	sigaction(SIGCHLD, &old, NULL);
	check(ok && alive(pid), "10 attach/resume/stop/detach with SA_NOCLDSTOP (slowest %lld us)",
	      worst);
	finish(pid);
}

int main(void)
{
	fixture_init();
	test_refusals();
	test_pause();
	test_all_stopped_hook();
	test_stop_log();
	test_blocking();
	test_signals();
	test_group_stop();
	test_zombie_leader();
	test_hidden_reads();
	test_spawner();
	test_no_sigchld();
	return fixture_done();
}
