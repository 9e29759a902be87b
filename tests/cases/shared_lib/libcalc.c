/* SPDX-License-Identifier: MIT */
/* libcalc.so: compute() for the shared_lib case, called by the executable
 * through the PLT. */
volatile int lib_scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * lib_scale;
}

/* The library's own view of compute's address (not a PLT slot). */
void *calc_compute_addr(void)
{
	return (void *)compute;
}
