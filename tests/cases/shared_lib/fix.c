/* SPDX-License-Identifier: MIT */
/* libcalc.so's compute(x) = x * lib_scale becomes x + 500 * lib_scale
 * (lib_scale is 2: 1007), reading the library's variable. */
#include <xsplice/payload.h>

extern volatile int lib_scale;

static int new_compute(int x)
{
	return x + 500 * lib_scale;
}

XSPLICE_REPLACE(compute, new_compute);
