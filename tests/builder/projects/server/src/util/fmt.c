/* SPDX-License-Identifier: MIT */
/* server: one status line. */
#include <stdio.h>

#include "table.h"

size_t fmt_line(char *buf, size_t len, unsigned long n)
{
	int r = snprintf(buf, len, "level=%s beta=%d", level_name((int)(n % 7)), table_lookup("beta"));

	return r < 0 ? 0 : (size_t)r;
}
