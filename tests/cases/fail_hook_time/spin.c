/* SPDX-License-Identifier: MIT */
/* compute(x) becomes x + 1000; its load hook never returns. */
#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);

static int spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

XSPLICE_LOAD_HOOK(spin);
