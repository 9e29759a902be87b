/* SPDX-License-Identifier: MIT */
/* The well-formed payload the malformed ones are made from. */
#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);
