/* SPDX-License-Identifier: MIT */
/*
 * kill_upload payload with hooks: compute(x) becomes x + 1000 + strlen("k")
 * (strlen is an IFUNC: a resolver runs at upload); the load and unload hooks
 * count themselves in the target and scribble over every vector register,
 * which the thread they ran in must get back.
 */
#include <string.h>

#include <xsplice/payload.h>

extern volatile int load_hooks, unload_hooks;
static const char *volatile one = "k";

static int new_compute(int x)
{
	return x + 1000 + (int)strlen(one) - 1;
}

XSPLICE_REPLACE(compute, new_compute);

static void scribble(void)
{
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
			 "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
			 "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
			 "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
			 "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15\n\t"
			 "fldpi\n\tfstp %%st(0)"
			 ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			 "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

static int on_load(void)
{
	scribble();
	load_hooks += (int)strlen(one);
	return 0;
}

static int on_unload(void)
{
	scribble();
	unload_hooks++;
	return 0;
}

XSPLICE_LOAD_HOOK(on_load);
XSPLICE_UNLOAD_HOOK(on_unload);
