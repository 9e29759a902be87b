/* SPDX-License-Identifier: MIT */
/*
 * The target door, letting a stopped process run between two stops: every
 * thread runs (signals delivered, new threads let go, nothing held), and a
 * thread is run out of a frame meanwhile with a breakpoint only it meets (no
 * code written; not with SIGTRAP blocked; our SIGTRAP never reaches it). A
 * thread that runs execve meanwhile ends the run, named, the new program
 * untouched.
 */
#include <dirent.h>

#include "target_fixture.h"
#include "target/target_int.h"

#define REC_DEPTH 5

enum mode { PLAIN, REC, BLOCKED, BLOCK_INSIDE, EXEC };
static volatile int mode;

/* --- inside the children ------------------------------------------------------------- */

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sh->sig_value = si->si_value.sival_int;
	sh->sig_count++;
}

static void on_trap(int sig)
{
	(void)sig;
	sh->trap_count++;
}

static void block_trap(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	pthread_sigmask(how, &set, NULL);
}

/* Sleeps 300 ms; in BLOCK_INSIDE it returns with SIGTRAP blocked. */
__attribute__((noinline)) static void sleeper(void)
{
	struct timespec ts = { 0, 300000000 };

	sh->ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
	sh->cfa = (uint64_t)(uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *);
	sh->in_sleep = 1;
	syscall(SYS_nanosleep, &ts, NULL);
	sh->in_sleep = 0;
	if (mode == BLOCK_INSIDE)
		block_trap(SIG_BLOCK);
}

/* Levels below REC_DEPTH - 1 return to the same address, deeper on the stack. */
__attribute__((noinline, noipa)) static int rec(int n)
{
	struct timespec ts = { 0, 300000000 };
	int r;

	if (n == 0) {
		sh->in_sleep = 1;
		syscall(SYS_nanosleep, &ts, NULL);
		sh->in_sleep = 0;
		return 0;
	}
	if (n == REC_DEPTH - 1) {
		sh->ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
		sh->cfa = (uint64_t)(uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *);
	}
	r = rec(n - 1);
	return r + 1;
}

static void *sleeper_thread(void *arg)
{
	struct timespec ts = { 1, 500000000 };

	(void)arg;
	sh->worker = (pid_t)syscall(SYS_gettid);
	if (mode == BLOCKED)
		block_trap(SIG_BLOCK);
	for (;;) {
		if (mode == REC)
			rec(REC_DEPTH);
		else
			sleeper();
		if (mode == BLOCK_INSIDE) { /* still blocked long after the run out */
			syscall(SYS_nanosleep, &ts, NULL);
			block_trap(SIG_UNBLOCK);
		}
		sh->loops++;
	}
	return NULL;
}

static void *counter_thread(void *arg)
{
	(void)arg;
	for (;;) {
		sleep_us(100);
		sh->counter[0]++;
	}
	return NULL;
}

static void *short_thread(void *arg)
{
	(void)arg;
	sh->spawned++;
	return NULL;
}

/* A thread made every 5 ms, each gone at once. */
static void *spawner_thread(void *arg)
{
	pthread_attr_t attr;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_t th;

		pthread_create(&th, &attr, short_thread, NULL);
		sleep_us(5000);
	}
	return NULL;
}

/* Once told to (ready[0]): execve, from a thread that is not the leader. */
static void *exec_thread(void *arg)
{
	(void)arg;
	while (!sh->ready[0])
		sleep_us(1000);
	execl("/bin/sleep", "sleep", "30", (char *)NULL);
	sh->err[0] = errno;
	return NULL;
}

static void child(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	pthread_t th;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGTRAP, on_trap);
	pthread_create(&th, NULL, sleeper_thread, NULL);
	pthread_create(&th, NULL, counter_thread, NULL);
	pthread_create(&th, NULL, spawner_thread, NULL);
	if (mode == EXEC)
		pthread_create(&th, NULL, exec_thread, NULL);
	for (;;)
		pause();
}

/* --- helpers ------------------------------------------------------------------------- */

static pid_t sig_pid;

static void *send_later(void *arg)
{
	union sigval v = { .sival_int = 7 };

	(void)arg;
	sleep_us(50000);
	sigqueue(sig_pid, SIGUSR1, v);
	return NULL;
}

static bool all_stopped(const struct xs_target *t)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (!t->threads[i].stopped)
			return false;
	return t->nthreads > 0;
}

/* No thread of pid is traced any more. */
static bool none_traced(pid_t pid)
{
	char path[64];
	struct dirent *e;
	bool ok = true;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 0 && status_num(pid, atoi(e->d_name), "TracerPid", 10))
			ok = false;
	if (d)
		closedir(d);
	return ok && d;
}

/* A child in the given mode, its sleeper in a fresh sleep, attached. */
static struct xs_target *start(enum mode m, pid_t *pid, ssize_t *i, const char *what)
{
	struct xs_target *t = NULL;
	long loops;

	reset_shared();
	mode = m;
	*pid = spawn(child);
	check(WAIT_FOR(sh->in_sleep == 1 && sh->counter[0] > 0, 10000), "%s: child runs", what);
	loops = sh->loops;
	WAIT_FOR(sh->loops > loops && sh->in_sleep == 1, 10000);
	*i = xs_target_attach(*pid, 1000, &t) ? -1 : thread_index(t, sh->worker);
	if (*i < 0) {
		check(false, "%s: attach and find the sleeper (%s)", what, xs_error_message());
		xs_target_detach(t);
		return NULL;
	}
	return t;
}

/* Detached: nothing traced, no SIGTRAP ever reached the child, it goes on. */
static void finish_case(struct xs_target *t, pid_t pid, const char *what)
{
	long loops, count;

	xs_target_detach(t);
	loops = sh->loops;
	count = sh->counter[0];
	check(none_traced(pid), "%s: no thread traced after the detach", what);
	check(WAIT_FOR(sh->loops > loops + 1 && sh->counter[0] > count, 10000) &&
	          sh->trap_count == 0 && alive(pid),
	      "%s: threads go on, no SIGTRAP reached the child", what);
	finish(pid);
}

/* --- the cases ------------------------------------------------------------------------ */

static void test_run_for(void)
{
	const char *what = "run for 300 ms";
	struct xs_target *t;
	pthread_t th;
	long count, spawned;
	long long t0;
	ssize_t i;
	pid_t pid;
	int rc;

	if (!(t = start(PLAIN, &pid, &i, what)))
		return;
	count = sh->counter[0];
	spawned = sh->spawned;
	sig_pid = pid;
	pthread_create(&th, NULL, send_later, NULL);
	t0 = now_us();
	rc = xs_target_run_for(t, 300, 3000);
	pthread_join(th, NULL);
	check(rc == 0 && now_us() - t0 >= 300000 && all_stopped(t),
	      "%s: every thread stopped again after %lld ms", what, (now_us() - t0) / 1000);
	check(sh->counter[0] > count + 10 && sh->spawned > spawned + 3,
	      "%s: the others ran meanwhile (%ld counts, %ld threads made)", what,
	      sh->counter[0] - count, sh->spawned - spawned);
	check(sh->sig_count == 1 && sh->sig_value == 7,
	      "%s: a signal sent meanwhile was delivered then (%d, value %d)", what, sh->sig_count,
	      sh->sig_value);
	finish_case(t, pid, what);
}

/* An execve while the threads run: seen at its exec stop, named, nothing of
 * ours goes into the new program, which runs on untraced after the detach. */
static void test_run_for_execve(void)
{
	const char *what = "run for, execve meanwhile";
	struct xs_target *t;
	char comm[32] = "";
	long long t0, ms;
	ssize_t i;
	pid_t pid;
	bool ok;
	int rc;

	if (!(t = start(EXEC, &pid, &i, what)))
		return;
	sh->ready[0] = 1;
	t0 = now_us();
	rc = xs_target_run_for(t, 2000, 3000);
	ms = (now_us() - t0) / 1000;
	check(rc == -ECANCELED && ms < 1500 &&
	          strstr(xs_error_message(), "ran execve while stopped"),
	      "%s: -ECANCELED after %lld ms, named \"%s\"", what, ms, xs_error_message());
	xs_error_clear();
	rc = xs_target_stop(t, 1000);
	check(rc == -ECANCELED, "%s: a later stop fails the same way (rc %d)", what, rc);
	xs_error_clear();
	xs_target_detach(t);
	ok = WAIT_FOR(!read_proc(pid, 0, "comm", comm, sizeof(comm)) && !strcmp(comm, "sleep\n"),
	              5000);
	comm[strcspn(comm, "\n")] = '\0';
	check(ok && none_traced(pid) && alive(pid), "%s: the new program runs, untraced (comm %s)",
	      what, comm);
	finish(pid);
}

static void run_out_case(enum mode m, long timeout_ms, const char *what)
{
	struct xs_target *t;
	unsigned char before, after;
	long count;
	long long t0, ms;
	pthread_t th;
	ssize_t i;
	pid_t pid;
	int rc;

	if (!(t = start(m, &pid, &i, what)))
		return;
	xs_target_read(t, sh->ra, &before, 1);
	count = sh->counter[0];
	sig_pid = pid;
	pthread_create(&th, NULL, send_later, NULL);
	t0 = now_us();
	rc = xs_target_run_out(t, (size_t)i, sh->ra, sh->cfa, timeout_ms, 3000);
	ms = (now_us() - t0) / 1000;
	pthread_join(th, NULL);
	xs_target_read(t, sh->ra, &after, 1);
	i = thread_index(t, sh->worker);
	if (m == BLOCKED) {
		check(rc == -EOPNOTSUPP && ms < 100 && all_stopped(t),
		      "%s: -EOPNOTSUPP at once, every thread still stopped (rc %d)", what, rc);
	} else if (m == BLOCK_INSIDE) {
		check(rc == -ETIMEDOUT && all_stopped(t) &&
		          !(status_num(pid, sh->worker, "SigPnd", 16) & (1ull << (SIGTRAP - 1))),
		      "%s: -ETIMEDOUT, our SIGTRAP (sent while blocked) taken back", what);
		xs_error_clear();
	} else if (timeout_ms > 300) {
		check(rc == 0 && ms < 1000 && i >= 0 && xs_arch_pc(&t->threads[i].regs) == sh->ra &&
		          xs_arch_sp(&t->threads[i].regs) == sh->cfa && all_stopped(t),
		      "%s: returned after %lld ms, pc at the return address, sp at the caller's",
		      what, ms);
		check(
		    sh->counter[0] > count + 10 && sh->sig_count == 1,
		    "%s: the others ran meanwhile (%ld counts), a signal sent then delivered then",
		    what, sh->counter[0] - count);
	} else {
		check(rc == -ETIMEDOUT && ms >= timeout_ms && ms < 1000 && all_stopped(t),
		      "%s: -ETIMEDOUT after %lld ms, every thread stopped \"%s\"", what, ms,
		      xs_error_message());
		xs_error_clear();
	}
	check(before == after && after != 0xcc, "%s: no byte of code changed", what);
	check(!xs_target_resume(t) && !xs_target_stop(t, 3000), "%s: resume and stop again", what);
	finish_case(t, pid, what);
}

int main(void)
{
	fixture_init();
	test_run_for();
	test_run_for_execve();
	run_out_case(PLAIN, 1000, "run out");
	run_out_case(PLAIN, 50, "run out, 50 ms timeout");
	run_out_case(REC, 1000, "run out through recursion");
	run_out_case(BLOCKED, 1000, "run out, SIGTRAP blocked");
	run_out_case(BLOCK_INSIDE, 500, "run out, SIGTRAP blocked on the way out");
	return fixture_done();
}
