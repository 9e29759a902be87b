/* SPDX-License-Identifier: MIT */
/* transform(c) becomes upper case for a-z. */
#include <xsplice/payload.h>

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

XSPLICE_REPLACE(transform, upper);
