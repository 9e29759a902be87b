/* SPDX-License-Identifier: MIT */
/* Two functions in one payload: a -> x + 1000, b -> x + 2000. */
#include <xsplice/payload.h>

static int new_a(int x)
{
	return x + 1000;
}

static int new_b(int x)
{
	return x + 2000;
}

XSPLICE_REPLACE(compute_a, new_a);
XSPLICE_REPLACE(compute_b, new_b);
