/* SPDX-License-Identifier: MIT */
/*
 * fail_parked_no_freeze target: compute(x) sleeps -x ms when x < 0. A ticker
 * thread ticks every 1 ms and keeps the largest gap between two ticks. Poke
 * files in DIR:
 *   DIR/park:   a thread calls compute(-30000) (inside compute for 30 s),
 *               printing "parked" before and "unparked V" after;
 *   DIR/reset:  the ticker forgets its largest gap, printing "reset";
 *   DIR/report: the ticker prints "maxgap US" (the largest gap since the
 *               reset, in microseconds).
 * The main thread prints "tick N compute(7)=V" every 100 ms. Usage: ticker DIR
 */
#include <pthread.h>
#include <stdio.h>

#include "tgt.h"

volatile int scale = 2;
static const char *dir;

__attribute__((noinline, noipa)) int compute(int x)
{
	if (x < 0)
		sleep_ms(-x);
	return x * scale;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void *parker(void *arg)
{
	char path[4096];

	(void)arg;
	snprintf(path, sizeof(path), "%s/park", dir);
	for (;;) {
		if (poked(path)) {
			say("parked\n");
			say("unparked %d\n", compute(-30000));
		}
		sleep_ms(10);
	}
	return NULL;
}

static void *ticker(void *arg)
{
	char reset[4096], report[4096];
	long long prev = now_us(), max = 0;

	(void)arg;
	snprintf(reset, sizeof(reset), "%s/reset", dir);
	snprintf(report, sizeof(report), "%s/report", dir);
	for (;;) {
		long long t;

		sleep_ms(1);
		t = now_us();
		if (t - prev > max)
			max = t - prev;
		prev = t;
		if (poked(reset)) {
			max = 0;
			say("reset\n");
			prev = now_us();
		}
		if (poked(report))
			say("maxgap %lld\n", max);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	dir = argc > 1 ? argv[1] : ".";
	say("addr compute %p\n", (void *)compute);
	if (pthread_create(&t, NULL, parker, NULL) || pthread_create(&t, NULL, ticker, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
