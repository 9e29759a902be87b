/* SPDX-License-Identifier: MIT */
/*
 * far_data target, PIE: never names stderr, so it has no copy of it; the
 * payload's stderr is libc's own, far from the executable. Prints
 * "tick N compute(7)=V" every 100 ms.
 */
#include "tgt.h"

volatile int scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

int main(void)
{
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
