/* SPDX-License-Identifier: MIT */
/* ticker: arithmetic; twice() is inlined into both callers. */
#include "calc.h"

static inline int twice(int x)
{
	return 2 * x;
}

__attribute__((noinline)) int calc(int x)
{
	return twice(x) + OFFSET;
}

__attribute__((noinline)) int other(int x)
{
	return twice(x) - OFFSET;
}

/* Called every tick; nothing to do yet (1 byte: too small to patch). */
__attribute__((noinline)) void hook(unsigned long n)
{
	(void)n;
}
