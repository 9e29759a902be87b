/* SPDX-License-Identifier: MIT */
/* cmake: the numbers main.c prints; the fix changes scale(). */
#include "calc.h"

static __attribute__((noinline)) int scale(int x)
{
	return x * 2 + x / 7;
}

int calc(int x)
{
	return scale(x) + 1;
}
