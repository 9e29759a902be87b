/* SPDX-License-Identifier: MIT */
/* spare(x) becomes x + 2000. */
#include <xsplice/payload.h>

static int new_spare(int x)
{
	return x + 2000;
}

XSPLICE_REPLACE(spare, new_spare);
