/* SPDX-License-Identifier: MIT */
/*
 * Shared by test_target.c and test_target_exec.c: forked child targets that
 * run a function of the test binary (so addresses match in both processes),
 * a MAP_SHARED page they report through, /proc readers and bounded waits.
 */
#ifndef XS_TARGET_FIXTURE_H
#define XS_TARGET_FIXTURE_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common/error.h"
#include "target/target.h"

#define NT 16 /* worker threads of the busy target */

/* Everything a child reports, in memory shared with the test. */
struct shared {
	volatile long counter[NT];
	volatile long long maxgap_us[NT];
	volatile int gap_gen;
	volatile pid_t tid[NT];
	volatile int ready[8];
	volatile long result[8];
	volatile int err[8];
	volatile long long slept_ms;
	int futex_word;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int cond_flag;
	volatile int sig_count, sig_code, sig_value, sig_pid;
	volatile int trap_count;
	volatile uint64_t ra, cfa;
	volatile int in_sleep;
	volatile long loops;
	volatile pid_t worker;
	volatile long spawned;
	volatile long main_ret;
	volatile int main_err;
	volatile int hook_ran;
};

static struct shared *sh;
static pid_t children[64];
static int nchildren;

static __attribute__((unused)) long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static __attribute__((unused)) void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Poll expr every 0.5 ms for at most ms milliseconds; true when it held. */
#define WAIT_FOR(expr, ms)                                                                         \
	({                                                                                         \
		long long _end = now_us() + (ms)*1000LL;                                           \
		bool _ok;                                                                          \
		while (!(_ok = (expr)) && now_us() < _end)                                         \
			sleep_us(500);                                                             \
		_ok;                                                                               \
	})

static __attribute__((unused)) pid_t spawn(void (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn();
		_exit(0);
	}
	if (pid > 0 && nchildren < (int)(sizeof(children) / sizeof(children[0])))
		children[nchildren++] = pid;
	return pid;
}

/* SIGKILL and reap, bounded; also reaps a child we may still be tracing. */
static __attribute__((unused)) void finish(pid_t pid)
{
	long long end = now_us() + 3000000;
	int st;

	kill(pid, SIGKILL);
	while (now_us() < end) {
		pid_t r = waitpid(pid, &st, __WALL | WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		sleep_us(1000);
	}
	for (int i = 0; i < nchildren; i++)
		if (children[i] == pid)
			children[i] = children[--nchildren];
}

static __attribute__((unused)) void finish_all(void)
{
	while (nchildren)
		finish(children[0]);
}

static __attribute__((unused)) int read_proc(pid_t pid, pid_t tid, const char *file, char *buf,
                                             size_t size)
{
	char path[96];
	FILE *f;
	size_t n;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, file);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static __attribute__((unused)) char proc_state(pid_t pid, pid_t tid)
{
	char buf[1024], *p;

	if (read_proc(pid, tid, "stat", buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
		return 0;
	return p[2];
}

/* Hex masks (SigBlk...) or decimal fields (TracerPid) of /proc/.../status. */
static __attribute__((unused)) unsigned long long status_num(pid_t pid, pid_t tid, const char *key,
                                                             int base)
{
	char buf[8192], *p;
	size_t klen = strlen(key);

	if (read_proc(pid, tid, "status", buf, sizeof(buf)))
		return 0;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoull(p + klen + 1, NULL, base);
	return 0;
}

static __attribute__((unused)) bool alive(pid_t pid)
{
	char s = proc_state(pid, 0);

	return s && s != 'Z' && s != 'X';
}

static __attribute__((unused)) ssize_t thread_index(struct xs_target *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return (ssize_t)i;
	return -1;
}

static __attribute__((unused)) int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static __attribute__((unused)) long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

static __attribute__((unused)) void fixture_init(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->mtx, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&sh->cond, &ca);
	signal(SIGPIPE, SIG_IGN);
}

static __attribute__((unused)) void reset_shared(void)
{
	size_t off = offsetof(struct shared, futex_word);

	memset((void *)sh, 0, off);
	sh->futex_word = 0;
	sh->cond_flag = 0;
	memset((char *)sh + offsetof(struct shared, sig_count), 0,
	       sizeof(*sh) - offsetof(struct shared, sig_count));
}

static __attribute__((unused)) int fixture_done(void)
{
	finish_all();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

#endif
