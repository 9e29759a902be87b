/* SPDX-License-Identifier: MIT */
/*
 * ifunc_copyreloc target, built -no-pie: its use of stderr makes the linker
 * copy-relocate libc's stderr into the executable. stderr is then pointed
 * at the log file named by argv[1], so text written through the
 * executable's copy lands there. Prints "tick N compute(7)=V" every 100 ms.
 */
#include <stdio.h>

#include "tgt.h"

volatile int scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

int main(int argc, char **argv)
{
	FILE *log = argc > 1 ? fopen(argv[1], "w") : NULL;

	if (!log)
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	stderr = log;
	fprintf(stderr, "stderr is the log file\n");
	say("addr compute %p\n", (void *)compute);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
