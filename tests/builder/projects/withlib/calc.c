/* SPDX-License-Identifier: MIT */
/* withlib: libcalc.so, arithmetic for prog. */
#include "calc.h"

static int scale = 3;

static __attribute__((noinline)) int mul(int x)
{
	return x * scale;
}

__attribute__((noinline)) int calc(int x)
{
	return mul(x) + 1;
}

__attribute__((noinline)) int calc_scale(void)
{
	return scale;
}
