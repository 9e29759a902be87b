/* SPDX-License-Identifier: MIT */
/*
 * hooks target: compute(x) = x * 2 and a log the payload's hooks append to;
 * the main thread prints "tick N compute(7)=V log=[LOG]" every 100 ms.
 */
#include "tgt.h"

volatile int scale = 2;
char hook_log[1024];

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

int main(void)
{
	say("addr compute %p\n", (void *)compute);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d log=[%s]\n", tick, compute(7), hook_log);
	}
}
