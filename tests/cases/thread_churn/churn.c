/* SPDX-License-Identifier: MIT */
/*
 * thread_churn target: two spawner threads each create a thread every 500 us
 * (each new thread calls compute(7) once and exits), so that at any moment a
 * thread is likely to be inside clone3, or just born at its first
 * instruction. The main thread prints "tick N compute(7)=V spawned=S" every
 * 100 ms, S the threads made so far. Usage: churn
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tgt.h"

volatile int scale = 2;
static atomic_ulong spawned;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static void *child(void *arg)
{
	(void)arg;
	compute(7);
	return NULL;
}

static void *spawner(void *arg)
{
	pthread_attr_t attr;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		pthread_t t;

		if (pthread_create(&t, &attr, child, NULL) == 0)
			atomic_fetch_add(&spawned, 1);
		usleep(500);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	say("addr compute %p\n", (void *)compute);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t, NULL, spawner, NULL))
			return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d spawned=%lu\n", tick, compute(7),
		    (unsigned long)atomic_load(&spawned));
	}
}
