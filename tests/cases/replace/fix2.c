/* SPDX-License-Identifier: MIT */
/* compute(x) becomes x + 2000. */
#include <xsplice/payload.h>

static int new_compute_2(int x)
{
	return x + 2000;
}

XSPLICE_REPLACE(compute, new_compute_2);
