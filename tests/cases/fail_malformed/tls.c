/* SPDX-License-Identifier: MIT */
/* Reads the target's thread-local tls_counter: refused, naming it. */
#include <xsplice/payload.h>

extern __thread int tls_counter;

static int new_compute(int x)
{
	return x + tls_counter;
}

XSPLICE_REPLACE(compute, new_compute);
