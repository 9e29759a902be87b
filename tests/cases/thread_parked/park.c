/* SPDX-License-Identifier: MIT */
/*
 * thread_parked target: compute(x) sleeps -x ms when x < 0. The main thread
 * prints "tick N compute(7)=V" every 200 ms. Poke files in DIR:
 *   DIR/park: one thread calls compute(-4000) (inside compute for 4 s),
 *             printing "parked" before and "unparked V" after;
 *   DIR/loop: one thread calls compute(-200) forever (inside it nearly
 *             always), printing "loop compute(-200)=V" on every change.
 * Usage: park DIR
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

static void *parker(void *arg)
{
	char path[4096];

	(void)arg;
	snprintf(path, sizeof(path), "%s/park", dir);
	for (;;) {
		if (poked(path)) {
			say("parked\n");
			say("unparked %d\n", compute(-4000));
		}
		sleep_ms(10);
	}
	return NULL;
}

static void *looper(void *arg)
{
	char path[4096];
	int last = 0;

	(void)arg;
	snprintf(path, sizeof(path), "%s/loop", dir);
	while (!poked(path))
		sleep_ms(10);
	for (;;) {
		int v = compute(-200);

		if (v != last)
			say("loop compute(-200)=%d\n", v);
		last = v;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	dir = argc > 1 ? argv[1] : ".";
	say("addr compute %p\n", (void *)compute);
	if (pthread_create(&t, NULL, parker, NULL) || pthread_create(&t, NULL, looper, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(200);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
