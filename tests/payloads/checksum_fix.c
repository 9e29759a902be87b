/* SPDX-License-Identifier: MIT */
/* checksum() without its off-by-one ("hello": 532, not 564). */
#include <xsplice/payload.h>

static int checksum_fixed(const char *s, int n)
{
	int sum = 0;

	for (int i = 0; i < n; i++)
		sum += s[i];
	return sum;
}

XSPLICE_REPLACE(checksum, checksum_fixed);
