/* SPDX-License-Identifier: MIT */
/*
 * fail_expect's target: the main thread prints "tick N spare(7)=V" every
 * 100 ms while the file named by argv[1] exists, else "tick N idle" without
 * calling spare(): once an idle tick is out, spare() runs nowhere and the
 * test may rewrite its code. Built with -DOTHER, spare() differs in one
 * constant (the same length of code).
 */
#include "tgt.h"

#ifdef OTHER
#define SHIFT 4
#else
#define SHIFT 3
#endif

volatile int scale = 3;

/* Not inlined, not cloned, longer than the 32 bytes a payload expects. */
__attribute__((noinline, noipa)) int spare(int x)
{
	int r = 0;

	for (int i = 0; i < x; i++)
		r += i * scale + (r >> SHIFT);
	return r + x;
}

int main(int argc, char **argv)
{
	const char *run = argc > 1 ? argv[1] : NULL;

	say("pid %d\n", (int)getpid());
	say("addr spare %p\n", (void *)spare);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		if (run && !access(run, F_OK))
			say("tick %lu spare(7)=%d\n", tick, spare(7));
		else
			say("tick %lu idle\n", tick);
		sleep_ms(100);
	}
}
