/* SPDX-License-Identifier: MIT */
/*
 * signals target: counts SIGUSR1 and SIGRTMIN in handlers that print
 * "usr1 N" / "rt N" (async-signal-safe writes). Worker t0 blocks both
 * signals (a handler running on it is reported); t1 and t2 do not. Workers
 * print "tI compute(7)=V" on change, the main thread "tick N compute(7)=V".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "tgt.h"

volatile int scale = 2;
static volatile sig_atomic_t usr1_count, rt_count;
static volatile pid_t blocked_tid;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

/* "NAME N\n" without stdio */
static void put(const char *name, long n)
{
	char buf[64], num[24];
	int len = 0, i = 0;

	while (*name)
		buf[len++] = *name++;
	buf[len++] = ' ';
	do
		num[i++] = '0' + n % 10;
	while ((n /= 10));
	while (i)
		buf[len++] = num[--i];
	buf[len++] = '\n';
	if (write(1, buf, len) < 0)
		return;
}

static void on_signal(int sig)
{
	int saved = errno;

	if ((pid_t)syscall(SYS_gettid) == blocked_tid)
		put("handler ran on the blocking thread, signal", sig);
	if (sig == SIGUSR1)
		put("usr1", ++usr1_count);
	else
		put("rt", ++rt_count);
	errno = saved;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;

	if (id == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGRTMIN);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		blocked_tid = (pid_t)syscall(SYS_gettid);
	}
	for (unsigned long n = 0;; n++) {
		int v = compute(7);

		if (v != last)
			say("t%ld compute(7)=%d\n", id, v);
		last = v;
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGRTMIN, &sa, NULL))
		return 1;
	say("pid %d\n", (int)getpid());
	say("rtmin %d\n", SIGRTMIN);
	say("addr compute %p\n", (void *)compute);
	for (long i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, worker, (void *)i))
			return 1;
	while (!blocked_tid)
		sleep_ms(1);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(200);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
