/* SPDX-License-Identifier: MIT */
/*
 * Calls strlen and memcpy (IFUNCs in libc: the loader must bind them to the
 * implementation the resolver picks, not to the resolver) and writes to
 * stderr (the executable's copy-relocated variable, which the target
 * re-pointed at its log file). compute(7) becomes 7 + 1000 + 15 = 1022.
 */
#include <stdio.h>
#include <string.h>

#include <xsplice/payload.h>

static const char *volatile msg = "payload says hi";
static int printed;

static int new_compute(int x)
{
	char buf[64];
	size_t n = strlen(msg);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, msg, n + 1);
	if (!printed) {
		printed = 1;
		fputs("xsplice payload: ", stderr);
		fputs(buf, stderr);
		fputs("\n", stderr);
		fflush(stderr);
	}
	return x + 1000 + (int)strlen(buf);
}

XSPLICE_REPLACE(compute, new_compute);
