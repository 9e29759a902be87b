/* SPDX-License-Identifier: MIT */
/* park_fn and other_fn: x * 2 becomes x + 1000. */
#include <xsplice/payload.h>

static int new_park(int x)
{
	return x + 1000;
}

static int new_other(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(park_fn, new_park);
XSPLICE_REPLACE(other_fn, new_other);
