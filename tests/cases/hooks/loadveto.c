/* SPDX-License-Identifier: MIT */
/* A load hook that vetoes: upload must fail and leave no mapping behind. */
#include <xsplice/payload.h>

#include "note.h"

static int new_compute(int x)
{
	return x + 6000;
}

XSPLICE_REPLACE(compute, new_compute);

static int veto_load(void)
{
	note("loadveto");
	return 1;
}

XSPLICE_LOAD_HOOK(veto_load);
