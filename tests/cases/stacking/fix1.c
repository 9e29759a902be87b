/* SPDX-License-Identifier: MIT */
/* compute(x) becomes x + 1000. */
#include <xsplice/payload.h>

static int new_compute_1(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute_1);
