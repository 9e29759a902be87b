/* SPDX-License-Identifier: MIT */
/* The first and the last of three adjacent functions; the middle one stays. */
#include <xsplice/payload.h>

static int new_a(void)
{
	return 10;
}

static int new_c(void)
{
	return 30;
}

XSPLICE_REPLACE(ret_a, new_a);
XSPLICE_REPLACE(ret_c, new_c);
