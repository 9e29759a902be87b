/* SPDX-License-Identifier: MIT */
/* work(x) = x * 2 becomes x * 3 (and no longer holds coroutine 1). */
#include <xsplice/payload.h>

static int new_work(int x)
{
	return x * 3;
}

XSPLICE_REPLACE(work, new_work);
