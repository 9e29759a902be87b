/* SPDX-License-Identifier: MIT */
/* compute(x) = x * 2 becomes x + 1000, under names case.sh overwrites with
 * control characters, quotes and ill-formed UTF-8 (same length). */
#include <xsplice/payload.h>

static int xsjsonnewBBBBBBBBBBBBBBBB(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(xsjsonoldAAAAAAAAAAAAAAAA, xsjsonnewBBBBBBBBBBBBBBBB);
