/* SPDX-License-Identifier: MIT */
/*
 * Writes to stderr, libc's variable: compute(7) becomes 7 + 1000 = 1007 and
 * "xsplice payload: 7" appears on the target's stderr. Built -fPIC (what
 * `xsplice cc` does) it reads stderr through its GOT; built -fno-pic the
 * read is PC-relative and out of reach: load refuses it by name.
 */
#include <stdio.h>

#include <xsplice/payload.h>

static int new_compute(int x)
{
	fprintf(stderr, "xsplice payload: %d\n", x);
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);
