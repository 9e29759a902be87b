/* SPDX-License-Identifier: MIT */
/*
 * A deadline for a blocking waitpid. Waiting for a stop by polling, or by
 * sigtimedwait on SIGCHLD, wakes the tracer for every stop of any thread;
 * at its real-time priority each wakeup takes a CPU from the threads still
 * on their way to their stops (with many threads, stopping them all took
 * several times longer). waitpid itself sleeps in the kernel until its thread
 * reports, so it is used as debuggers use it, bounded by a timer whose
 * signal interrupts it. The timer repeats every millisecond past the
 * deadline: a signal that lands just before waitpid is entered is followed
 * by another, so the wait cannot block for good.
 */
#include "target/target_int.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALARM_SIG (SIGRTMAX)
#define ALARM_REPEAT_NS 1000000L

static __thread timer_t timer;
static __thread bool have_timer;
static __thread long long armed_for; /* deadline armed, 0 when disarmed */

static void on_alarm(int sig)
{
	(void)sig; /* only there to end waitpid with EINTR */
}

/* Our no-op handler, unless the program uses the signal itself. */
static bool handler_ready(void)
{
	struct sigaction cur, sa;
	sigset_t mask;

	if (sigaction(ALARM_SIG, NULL, &cur) < 0)
		return false;
	if (cur.sa_handler != on_alarm) {
		if (cur.sa_handler != SIG_DFL || (cur.sa_flags & SA_SIGINFO))
			return false;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid must return */
		sigemptyset(&sa.sa_mask);
		if (sigaction(ALARM_SIG, &sa, NULL) < 0)
			return false;
	}
	return pthread_sigmask(SIG_SETMASK, NULL, &mask) == 0 && !sigismember(&mask, ALARM_SIG);
}

bool xs_tgt_alarm_prepare(void)
{
	struct sigevent sev;

	if (have_timer)
		return true;
	if (!handler_ready())
		return false;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = ALARM_SIG;
	sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id in newer glibc */
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0)
		return false;
	have_timer = true;
	return true;
}

bool xs_tgt_alarm_arm(long long deadline_us)
{
	struct itimerspec its = {
		.it_interval = { 0, ALARM_REPEAT_NS },
		.it_value = { deadline_us / 1000000, (deadline_us % 1000000) * 1000 },
	};

	if (armed_for == deadline_us)
		return true;
	if (!xs_tgt_alarm_prepare())
		return false;
	if (deadline_us <= 0 || timer_settime(timer, TIMER_ABSTIME, &its, NULL) < 0)
		return false;
	armed_for = deadline_us;
	return true;
}

void xs_tgt_alarm_disarm(void)
{
	struct itimerspec off;

	if (!armed_for)
		return;
	memset(&off, 0, sizeof(off));
	timer_settime(timer, 0, &off, NULL);
	armed_for = 0;
}
