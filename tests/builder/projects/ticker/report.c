/* SPDX-License-Identifier: MIT */
/* ticker: the text of one tick: a counter kept in a static local, a score
 * from a static function, a mood string, and some global data. */
#include <stdio.h>

#include "calc.h"

int history[4];
int step = 1;

static __attribute__((noinline)) int bump(void)
{
	static int count;

	count += step;
	return count;
}

static __attribute__((noinline)) int score(int c)
{
	return c % 7;
}

static __attribute__((noinline)) const char *mood(int c)
{
	if (c < 0)
		return "odd";
	return "calm";
}

void report(char *buf, size_t len)
{
	int c = bump();

	history[c & 3] = c;
	snprintf(buf, len, "count=%d score=%d mood=%s calc=%d off=%d", c, score(c), mood(c), calc(7),
		 OFFSET);
}
