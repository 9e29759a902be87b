/* SPDX-License-Identifier: MIT */
/*
 * json_funcs target: compute(x) = x * 2 and log_hit(), an assembly
 * "addl $1, hits(%rip); ret" (7 bytes then the ret). The main thread prints
 * "tick N compute(7)=V hits=H" every 100 ms, calling both.
 */
#include "tgt.h"

volatile int scale = 2;
volatile int hits;
void log_hit(void);

__asm__(".text\n"
	".globl log_hit\n"
	".type log_hit, @function\n"
	"log_hit:\n"
	"	addl $1, hits(%rip)\n"
	"	ret\n"
	".size log_hit, .-log_hit\n");

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

int main(void)
{
	say("addr compute %p\n", (void *)compute);
	say("addr log_hit %p\n", (void *)log_hit);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		log_hit();
		say("tick %lu compute(7)=%d hits=%d\n", tick, compute(7), hits);
	}
}
