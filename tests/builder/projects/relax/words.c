/* SPDX-License-Identifier: MIT */
/* relax: string literals of several functions of one file; tag() shares
 * "two" with first(), so the string sits in first()'s string section. */
#define NEVER 1000000000ul

__attribute__((noinline)) const char *first(unsigned long n)
{
	return n > NEVER ? "one" : "two";
}

__attribute__((noinline)) const char *word(unsigned long n)
{
	return n > NEVER ? "four" : "five";
}

__attribute__((noinline)) const char *tag(unsigned long n)
{
	return n > NEVER ? "eight" : "two";
}
