/* SPDX-License-Identifier: MIT */
/*
 * fail_malformed target: compute(x) = x * 2, a 1-byte function tiny_fn (a
 * lone ret, in assembly) and a thread-local tls_counter, all in use. Prints
 * "tick N compute(7)=V" every 100 ms. -DOTHER_BUILD gives another build-id.
 */
#include <pthread.h>

#include "tgt.h"

volatile int scale = 2;
__thread int tls_counter;
void tiny_fn(void);

__asm__(".text\n"
	".globl tiny_fn\n"
	".type tiny_fn, @function\n"
	"tiny_fn:\n"
	"	ret\n"
	".size tiny_fn, .-tiny_fn\n");

#ifdef OTHER_BUILD
const char other_build[] = "another build of the same program";
#endif

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long n = 0;; n++) {
		compute(7);
		tiny_fn();
		tls_counter++;
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	say("addr compute %p\n", (void *)compute);
	say("addr tiny_fn %p\n", (void *)tiny_fn);
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		tls_counter++;
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
