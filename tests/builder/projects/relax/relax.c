/* SPDX-License-Identifier: MIT */
/* relax: prints "ready", then one "tick N ..." line every 100 ms. api()
 * tail-calls helper(), a static function of the same file: the assembler
 * relaxes that jump to 2 bytes unless the two sit in different sections. */
#include <stdio.h>
#include <unistd.h>

const char *first(unsigned long n);
const char *word(unsigned long n);
const char *tag(unsigned long n);

static volatile int arg; /* 0, but the compiler cannot know */

static __attribute__((noinline)) int helper(int x)
{
	return x * 7 - 3;
}

/* Like helper(), for a binary built from other code (builder/fail_mismatch_insn). */
static __attribute__((noinline, used)) int twin(int x)
{
	return x * 7 - 2;
}

__attribute__((noinline)) int api(int x)
{
	if (x > 5)
		return helper(x);
	return x * 3 + 1;
}

/* A library call, for builder/fail_mismatch_insn. */
__attribute__((noinline)) int say(const char *s)
{
	return fputs(s, stdout) + 1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	say("relax\n");
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		printf("tick %lu api=%d big=%d first=%s word=%s tag=%s\n", n, api(arg), api(arg + 7),
		       first(n), word(n), tag(n));
		usleep(100000);
	}
}
