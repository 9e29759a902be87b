/* SPDX-License-Identifier: MIT */
/* parse_len without a file: two file-local candidates, must be refused. */
#include <xsplice/payload.h>

static int new_parse_len(const char *s)
{
	(void)s;
	return 0;
}

XSPLICE_REPLACE(parse_len, new_parse_len);
