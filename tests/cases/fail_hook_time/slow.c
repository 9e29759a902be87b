/* SPDX-License-Identifier: MIT */
/*
 * compute(x) becomes x + 1000, with twelve hooks that each take 250 ms: 3 s
 * of hooks in one stop of the process. SLOW_HOOK (a -D flag) is the macro of
 * their kind, XSPLICE_PRE_APPLY_HOOK say.
 */
#include <time.h>

#include <xsplice/payload.h>

static int new_compute(int x)
{
	return x + 1000;
}

XSPLICE_REPLACE(compute, new_compute);

static int slow(void)
{
	struct timespec ts = { 0, 250 * 1000000L };

	nanosleep(&ts, NULL);
	return 0;
}

SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
SLOW_HOOK(slow);
