/* SPDX-License-Identifier: MIT */
/* Patches tiny_fn, one byte long: no room for a 5-byte jump, refused. */
#include <xsplice/payload.h>

static void new_tiny(void)
{
}

XSPLICE_REPLACE(tiny_fn, new_tiny);
