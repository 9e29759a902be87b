/* SPDX-License-Identifier: MIT */
/* compute(x) = x * 2 becomes x + 1000; log_hit's 7-byte add becomes NOPs. */
#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);
XSPLICE_NOP(log_hit, 7);
