/* SPDX-License-Identifier: MIT */
/*
 * load_one_stop target: every thread spins (none waits, so upload and
 * unload cannot hold one alone). Workers print "tI compute(7)=V" when the
 * value they see changes. Usage: spin
 */
#include <pthread.h>

#include "tgt.h"

volatile int input = 7;
volatile int scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;

	for (;;) {
		int v = compute(input);

		if (v != last) {
			say("t%ld compute(%d)=%d\n", id, input, v);
			last = v;
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, worker, (void *)1L)) {
		say("pthread_create failed\n");
		return 1;
	}
	say("addr compute %p\n", (void *)compute);
	say("ready\n");
	worker((void *)0L);
}
