/* SPDX-License-Identifier: MIT */
/*
 * Target with clones (built -O2 -fipa-cp-clone, as -O3 does): main calls
 * scale.constprop.0 (k = 3 built in) and pick.constprop.0.isra.0 (only s->a
 * passed), never scale() or pick() themselves. Prints
 * "tick N scale=A scale1=B pick=C" every 100 ms (21 27 56).
 */
#include "tgt.h"

struct big {
	int a, b, c, d[16];
};

volatile int in = 7;

__attribute__((noinline)) int scale(int x, int k)
{
	return x * k + (x >> 3) * k;
}

__attribute__((noinline)) int pick(struct big *s, int unused)
{
	return s->a * 7 + in;
}

int main(void)
{
	struct big b = {.a = 2};

	say("pid %d\n", (int)getpid());
	say("addr scale %p\n", (void *)scale);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		b.a = in;
		say("tick %lu scale=%d scale1=%d pick=%d\n", tick, scale(in, 3), scale(in + 1, 3), pick(&b, 0)); /* the calls */
		sleep_ms(100);
	}
}
