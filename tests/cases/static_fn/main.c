/* SPDX-License-Identifier: MIT */
/*
 * static_fn target: prints "tick N a=A b=B" every 100 ms with A and B the
 * two file-local parse_len("abc") (3 and 30). Offers a global variable
 * (bonus) and a global function (helper_double) for the payload to use.
 */
#include <stdlib.h>

#include "tgt.h"

int a_len(const char *s);
int b_len(const char *s);
void *a_parse_addr(void);
void *b_parse_addr(void);

volatile int bonus = 500;
const char *volatile word = "abc";

__attribute__((noinline, noipa)) int helper_double(int x)
{
	return 2 * x;
}

int main(void)
{
	say("addr parse_len_a %p\n", a_parse_addr());
	say("addr parse_len_b %p\n", b_parse_addr());
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu a=%d b=%d\n", tick, a_len(word), b_len(word));
	}
}
