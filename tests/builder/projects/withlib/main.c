/* SPDX-License-Identifier: MIT */
/* withlib: prints "ready", then one "tick N ..." line every 100 ms, with
 * numbers from itself and from libcalc.so. */
#include <stdio.h>
#include <unistd.h>

#include "calc.h"

static __attribute__((noinline)) int bonus(unsigned long n)
{
	return (int)(n % 5);
}

/* Logs where it is: __LINE__ moves when lines are added above it. */
static __attribute__((noinline)) int where(char *buf, size_t len, unsigned long n)
{
	return snprintf(buf, len, "main.c:%d n=%lu", __LINE__, n % 3);
}

#define STR2(x) #x
#define STR(x) STR2(x)

/* Its position as a string ("main.c:NN"): moves the same way. */
static __attribute__((noinline)) const char *here(void)
{
	return "main.c:" STR(__LINE__);
}

int main(void)
{
	char buf[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		where(buf, sizeof(buf), n);
		printf("tick %lu bonus=%d calc=%d [%s] at=%s\n", n, bonus(n), calc(2), buf, here());
		usleep(100000);
	}
}
