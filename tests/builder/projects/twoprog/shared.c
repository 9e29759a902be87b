/* SPDX-License-Identifier: MIT */
/* twoprog: the code both programs share. */
int limit = 3;

__attribute__((noinline)) int value(int n)
{
	return n % 5 + 10;
}

#ifdef COVERAGE
/* only in app_cov */
int cov_only(int n)
{
	return n + 1;
}
#endif
