/* SPDX-License-Identifier: MIT */
/* Two functions 8 KiB apart in the hostile target: compute -> x + 1000, compute_b -> x + 2000. */
#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

static int new_compute_b(int x)
{
	return x + 2000;
}

XSPLICE_REPLACE(compute, new_compute);
XSPLICE_REPLACE(compute_b, new_compute_b);
