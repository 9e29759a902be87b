/* SPDX-License-Identifier: MIT */
/* twoprog: the code both programs share. */
int limit = 3;

__attribute__((noinline)) int value(int n)
{
	return n % 5 + 10;
}
