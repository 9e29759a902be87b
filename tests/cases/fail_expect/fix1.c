/* SPDX-License-Identifier: MIT */
/* spare(x) becomes x + 1000. */
#include <xsplice/payload.h>

static int new_spare(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(spare, new_spare);
