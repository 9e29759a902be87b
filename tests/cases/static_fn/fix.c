/* SPDX-License-Identifier: MIT */
/*
 * Replace parse_a.c's static parse_len only: helper_double(len) + parse_a.c's
 * static len_base (40, parse_b.c's is 70) + the global bonus (500):
 * "abc" -> 546.
 */
#include <xsplice/payload.h>

extern volatile int bonus;
extern int helper_double(int);
extern volatile int len_base XSPLICE_LOCAL_SYM("parse_a.c", len_base);

static int new_parse_len(const char *s)
{
	int n = 0;

	/* the empty asm keeps gcc from calling strlen(): ifunc_copyreloc tests that */
	while (s[n]) {
		__asm__("");
		n++;
	}
	return helper_double(n) + len_base + bonus;
}

XSPLICE_REPLACE_LOCAL("parse_a.c", parse_len, new_parse_len);
