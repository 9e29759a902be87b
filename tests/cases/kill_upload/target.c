/* SPDX-License-Identifier: MIT */
/*
 * kill_upload target: everything a thread left running on injected
 * registers, or put back wrongly, would upset. The main thread (the one
 * xsplice runs system calls and hooks in) alternates floating-point work,
 * whose result it checks, with ppoll() under a temporary signal mask, and
 * checks its own mask after each; three workers call compute(7) with their
 * own floating-point checks; one more blocks in read() on a pipe that never
 * has data. Any surprise prints "BAD ...". The main thread prints
 * "tick N compute(7)=V loads=L unloads=U bad=B" every 100 ms.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "tgt.h"

#define NWORKERS 3

volatile int scale = 2;
volatile int load_hooks, unload_hooks; /* bumped by the payload's hooks */
static volatile int bad;
static volatile long fp_main = 1000000, fp_worker = 2000; /* volatile: computed every time */

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static void report_bad(const char *what, long a, long b)
{
	bad++;
	say("BAD %s %ld %ld\n", what, a, b);
}

/* Sums kept in vector registers for many instructions; exact in double. */
__attribute__((noinline)) static int fp_ok(long n)
{
	double a = 0, b = 0;

	for (long i = 1; i <= n; i++) {
		a += (double)i * 0.5;
		b += (double)i * 0.25;
	}
	return a == (double)(n * (n + 1)) / 4.0 && b == (double)(n * (n + 1)) / 8.0;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;

	for (unsigned long n = 0;; n++) {
		int v = compute(7);

		if (v != last) {
			say("t%ld compute(7)=%d\n", id, v);
			last = v;
		}
		if (n % 64 == 0) {
			if (!fp_ok(fp_worker))
				report_bad("worker fpu", id, 0);
			sleep_ms(2);
		}
	}
	return NULL;
}

static void *reader(void *arg)
{
	int fd = (int)(long)arg;
	char c;

	for (;;) {
		long r = read(fd, &c, 1);

		report_bad("read returned", r, r < 0 ? errno : 0);
		sleep_ms(100);
	}
	return NULL;
}

int main(void)
{
	struct timespec ts = { 0, 3000000 };
	sigset_t want, tmp, cur;
	unsigned long tick = 0;
	long long next = 0;
	int pfd[2];

	if (pipe(pfd))
		return 1;
	/* Its own mask has SIGUSR2 blocked; ppoll's temporary one SIGUSR1. */
	sigemptyset(&want);
	sigaddset(&want, SIGUSR2);
	sigprocmask(SIG_SETMASK, &want, NULL);
	sigemptyset(&tmp);
	sigaddset(&tmp, SIGUSR1);
	say("addr compute %p\n", (void *)compute);
	for (long i = 0; i < NWORKERS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, (void *)i))
			return 1;
	}
	{
		pthread_t t;

		if (pthread_create(&t, NULL, reader, (void *)(long)pfd[0]))
			return 1;
	}
	say("ready\n");
	for (;;) {
		struct timespec now, left = ts;
		long long ms;
		int r;

		if (!fp_ok(fp_main))
			report_bad("main fpu", 0, 0);
		r = ppoll(NULL, 0, &left, &tmp);
		if (r != 0)
			report_bad("ppoll returned", r, r < 0 ? errno : 0);
		sigprocmask(SIG_BLOCK, NULL, &cur);
		if (sigismember(&cur, SIGUSR1) || !sigismember(&cur, SIGUSR2))
			report_bad("signal mask", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2));
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = now.tv_sec * 1000LL + now.tv_nsec / 1000000;
		if (ms >= next) {
			say("tick %lu compute(7)=%d loads=%d unloads=%d bad=%d\n", tick++, compute(7),
			    load_hooks, unload_hooks, bad);
			next = ms + 100;
		}
	}
}
