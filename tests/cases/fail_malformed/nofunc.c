/* SPDX-License-Identifier: MIT */
/* Patches a function the target does not have: refused, naming it. */
#include <xsplice/payload.h>

static int new_fn(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(no_such_fn_to_patch, new_fn);
