/* SPDX-License-Identifier: MIT */
/* Declares the target's thread-local tls_counter as a plain global, so only
 * the loader (which sees STT_TLS in the target) can refuse it, by name. */
#include <xsplice/payload.h>

extern int tls_counter;

static int new_compute(int x)
{
	return x + tls_counter;
}

XSPLICE_REPLACE(compute, new_compute);
