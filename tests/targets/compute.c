/* SPDX-License-Identifier: MIT */
/*
 * Common target: NTHREADS workers call compute(input) in a loop and print
 * "tI compute(7)=V" whenever the value they see changes; worker 0 spins, the
 * others sleep 2 ms every 64 calls; the main thread prints
 * "tick N compute(7)=V" every 100 ms. Usage: compute [NTHREADS]
 * Built with -DCOMPUTE_IN_LIB, compute() comes from a shared library that
 * also provides calc_compute_addr().
 */
#include <pthread.h>
#include <stdlib.h>

#include "tgt.h"

volatile int input = 7;

#ifdef COMPUTE_IN_LIB
int compute(int x);
void *calc_compute_addr(void);
#define COMPUTE_ADDR calc_compute_addr()
#else
volatile int scale = 2;

/* Not inlined, not cloned: every call goes through the patched entry. */
__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}
#define COMPUTE_ADDR ((void *)compute)
#endif

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;
	unsigned long n = 0;

	for (;;) {
		int x = input, v = compute(x);

		if (v != last) {
			say("t%ld compute(%d)=%d\n", id, x, v);
			last = v;
		}
		n++;
		if (id == 0 ? n % 1000000 == 0 : n % 64 == 0)
			sleep_ms(id == 0 ? 1 : 2);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;

	say("pid %d\n", (int)getpid());
	say("addr compute %p\n", COMPUTE_ADDR);
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, (void *)i)) {
			say("pthread_create failed\n");
			return 1;
		}
	}
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(%d)=%d\n", tick, input, compute(input));
	}
}
