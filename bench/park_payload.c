/* SPDX-License-Identifier: MIT */
/* Replaces parked() of bench/busy, which one thread never leaves (busy ... park):
 * every apply of it is refused, after its whole --timeout. */
#include <xsplice/payload.h>

static int new_parked(int x)
{
	return x + 1;
}

XSPLICE_REPLACE(parked, new_parked);
