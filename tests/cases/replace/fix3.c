/* SPDX-License-Identifier: MIT */
/* compute(x) becomes x + 3000. */
#include <xsplice/payload.h>

static int new_compute_3(int x)
{
	return x + 3000;
}

XSPLICE_REPLACE(compute, new_compute_3);
