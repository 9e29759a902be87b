/* SPDX-License-Identifier: MIT */
/* scale(x) = x * 2 becomes x + 1000. */
#include <xsplice/payload.h>

static int new_scale(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(scale, new_scale);
