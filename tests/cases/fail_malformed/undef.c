/* SPDX-License-Identifier: MIT */
/* Calls a function nobody defines: refused, naming it. */
#include <xsplice/payload.h>

extern int no_such_function(int);

static int new_compute(int x)
{
	return no_such_function(x);
}

XSPLICE_REPLACE(compute, new_compute);
