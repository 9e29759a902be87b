/* SPDX-License-Identifier: MIT */
/* static_fn: the first of two file-local parse_len() (length of s). */
static volatile int len_base __attribute__((used)) = 40;

static __attribute__((noinline, noipa)) int parse_len(const char *s)
{
	int n = 0;

	while (s[n])
		n++;
	return n;
}

int a_len(const char *s)
{
	return parse_len(s);
}

void *a_parse_addr(void)
{
	return (void *)parse_len;
}
