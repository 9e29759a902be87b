/* SPDX-License-Identifier: MIT */
/*
 * Target with an inlined function: gcc -O2 copies checksum() (global, with
 * the README's off-by-one) into handle(), and the real checksum() runs only
 * through a pointer; scale() is noipa, whole. The main thread prints
 * "tick N inlined=A direct=B scale=S" every 100 ms: A from the copy in
 * handle(), B from checksum() itself (564 with the bug, 532 fixed), S =
 * scale(7) (14).
 */
#include "tgt.h"

char msg[] = "hello world";
volatile int len = 5;
volatile int in = 7;
volatile int factor = 2;

int checksum(const char *s, int n)
{
	int sum = 0;

	for (int i = 0; i <= n; i++) /* one byte too many: the space counts */
		sum += s[i];
	return sum;
}

int (*volatile direct)(const char *, int) = checksum;

__attribute__((noipa)) int handle(void)
{
	return checksum(msg, len); /* inlined here */
}

__attribute__((noinline, noipa)) int scale(int x)
{
	return x * factor;
}

int main(void)
{
	say("pid %d\n", (int)getpid());
	say("addr checksum %p\n", (void *)checksum);
	say("addr scale %p\n", (void *)scale);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu inlined=%d direct=%d scale=%d\n", tick, handle(), direct(msg, len),
		    scale(in));
	}
}
