/* SPDX-License-Identifier: MIT */
/* compute(x) = x * 2 becomes x + 1000, still sleeping -x ms when x < 0. */
#include <unistd.h>

#include <xsplice/payload.h>

static int new_compute(int x)
{
	if (x < 0)
		usleep(-x * 1000);
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);
