/* SPDX-License-Identifier: MIT */
/* static_fn: the second file-local parse_len() (ten times the length). */
static volatile int len_base __attribute__((used)) = 70;

static __attribute__((noinline, noipa)) int parse_len(const char *s)
{
	int n = 0;

	while (s[n])
		n++;
	return n * 10;
}

int b_len(const char *s)
{
	return parse_len(s);
}

void *b_parse_addr(void)
{
	return (void *)parse_len;
}
