/* SPDX-License-Identifier: MIT */
/* New scale() and pick(): callers of their clones would never see them. */
#include <xsplice/payload.h>

struct big {
	int a, b, c, d[16];
};

static int new_scale(int x, int k)
{
	return x * k + 1000;
}

static int new_pick(struct big *s, int unused)
{
	(void)unused;
	return s->a + 1000;
}

XSPLICE_REPLACE(scale, new_scale);
XSPLICE_REPLACE(pick, new_pick);
