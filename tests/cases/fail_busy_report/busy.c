/* SPDX-License-Identifier: MIT */
/*
 * fail_busy_report target: park_fn(x) and other_fn(x) sleep -x ms (poll)
 * when x < 0, else return x * 2. The main thread prints
 * "tick N park_fn(7)=V other_fn(7)=W" every 100 ms. Poke DIR/park: two
 * threads call park_fn(-20000) and one other_fn(-20000), each printing
 * "parked TID FUNCTION" first.
 * Usage: busy DIR
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "tgt.h"

volatile int scale = 2;
static const char *dir;

__attribute__((noinline, noipa)) int park_fn(int x)
{
	if (x < 0)
		poll(NULL, 0, -x);
	return x * scale;
}

__attribute__((noinline, noipa)) int other_fn(int x)
{
	if (x < 0)
		poll(NULL, 0, -x);
	return x * scale;
}

static void *parker(void *arg)
{
	int which = (int)(long)arg;

	say("parked %d %s\n", gettid(), which ? "other_fn" : "park_fn");
	return (void *)(long)(which ? other_fn(-20000) : park_fn(-20000));
}

int main(int argc, char **argv)
{
	char path[4096];
	pthread_t t;

	dir = argc > 1 ? argv[1] : ".";
	snprintf(path, sizeof(path), "%s/park", dir);
	say("addr park_fn %p\n", (void *)park_fn);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		if (poked(path))
			for (long i = 0; i < 3; i++)
				if (pthread_create(&t, NULL, parker, (void *)(i == 2)))
					return 1;
		sleep_ms(100);
		say("tick %lu park_fn(7)=%d other_fn(7)=%d\n", tick, park_fn(7), other_fn(7));
	}
}
