/* SPDX-License-Identifier: MIT */
/*
 * nop_patch target: log_hit() is written in assembly so its bytes are known:
 * a 7-byte "addl $1, hits(%rip)" then ret. A thread calls it every ms; the
 * main thread prints "tick N hits=H" every 200 ms.
 */
#include <pthread.h>

#include "tgt.h"

volatile int hits;
void log_hit(void);

__asm__(".text\n"
	".globl log_hit\n"
	".type log_hit, @function\n"
	"log_hit:\n"
	"	addl $1, hits(%rip)\n"
	"	ret\n"
	".size log_hit, .-log_hit\n");

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		log_hit();
		sleep_ms(1);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	say("addr log_hit %p\n", (void *)log_hit);
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(200);
		say("tick %lu hits=%d\n", tick, hits);
	}
}
