/* SPDX-License-Identifier: MIT */
/* A pre_apply hook that vetoes: apply must fail and change nothing (the
 * apply and post_apply hooks must not run). */
#include <xsplice/payload.h>

#include "note.h"

static int new_compute(int x)
{
	return x + 5000;
}

XSPLICE_REPLACE(compute, new_compute);

static int veto(void)
{
	note("veto");
	return 1;
}

static int bad(void)
{
	note("BAD");
	return 0;
}

XSPLICE_PRE_APPLY_HOOK(veto);
XSPLICE_APPLY_HOOK(bad);
XSPLICE_POST_APPLY_HOOK(bad);
