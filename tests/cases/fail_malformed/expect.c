/* SPDX-License-Identifier: MIT */
/* Expects four NOPs at compute, which starts with a mov: refused. */
#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE_EXPECT(compute, new_compute, 0x90, 0x90, 0x90, 0x90);
