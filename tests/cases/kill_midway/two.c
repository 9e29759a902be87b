/* SPDX-License-Identifier: MIT */
/*
 * kill_midway target: two functions, compute_a(x) = 2x and compute_b(x) =
 * 3x; a worker calls both in a loop, the main thread prints
 * "tick N a=A b=B" (for x = 7) every 100 ms. Both are 8 KiB-aligned, so
 * they are far apart: xsplice writes nearby sites in one go (code_runs.c),
 * and this case needs a crash between two writes.
 */
#include <pthread.h>

#include "tgt.h"

volatile int scale_a = 2, scale_b = 3;

__attribute__((noinline, noipa, aligned(8192))) int compute_a(int x)
{
	return x * scale_a;
}

__attribute__((noinline, noipa, aligned(8192))) int compute_b(int x)
{
	return x * scale_b;
}

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long n = 0;; n++) {
		compute_a(7);
		compute_b(7);
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	say("addr compute_a %p\n", (void *)compute_a);
	say("addr compute_b %p\n", (void *)compute_b);
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu a=%d b=%d\n", tick, compute_a(7), compute_b(7));
	}
}
