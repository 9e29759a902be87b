/* SPDX-License-Identifier: MIT */
/* compute(x) becomes x + 1000; every hook kind logs itself. */
#include <xsplice/payload.h>

#include "note.h"

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);

#define HOOK(kind)                      \
	static int h_##kind(void)       \
	{                               \
		note(#kind);            \
		return 0;               \
	}

HOOK(load)
HOOK(pre_apply)
HOOK(apply)
HOOK(post_apply)
HOOK(pre_revert)
HOOK(revert)
HOOK(post_revert)
HOOK(unload)

XSPLICE_LOAD_HOOK(h_load);
XSPLICE_PRE_APPLY_HOOK(h_pre_apply);
XSPLICE_APPLY_HOOK(h_apply);
XSPLICE_POST_APPLY_HOOK(h_post_apply);
XSPLICE_PRE_REVERT_HOOK(h_pre_revert);
XSPLICE_REVERT_HOOK(h_revert);
XSPLICE_POST_REVERT_HOOK(h_post_revert);
XSPLICE_UNLOAD_HOOK(h_unload);
