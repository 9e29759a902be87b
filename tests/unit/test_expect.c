/* SPDX-License-Identifier: MIT */
/*
 * Expected bytes (src/payload/expect.c): made from a function's code after endbr64,
 * up to XSPLICE_EXPECT_MAX and never past its end; described from where
 * they differ, a few bytes of each.
 */
#include <string.h>

#include "check.h"
#include "payload/expect.h"

static void made(const unsigned char *code, uint64_t size, unsigned want_len,
                 const unsigned char *want, const char *what)
{
	struct xsplice_expect e;

	memset(&e, 0xff, sizeof(e));
	xs_expect_make(code, size, &e);
	check(e.enabled == (want_len > 0) && e.len == want_len && !memcmp(e.data, want, want_len) &&
	          !e.pad[0] && !e.pad[5],
	      "%s: enabled %u, len %u (want %u)", what, e.enabled, e.len, want_len);
}

static void described(const unsigned char *have, const unsigned char *want, size_t n,
                      const char *text, size_t at, const char *what)
{
	char buf[128];
	size_t got_at = 99;

	xs_expect_describe(have, want, n, buf, sizeof(buf), &got_at);
	check(!strcmp(buf, text) && got_at == at, "%s: \"%s\" at %zu, want \"%s\" at %zu", what,
	      buf, got_at, text, at);
}

int main(void)
{
	unsigned char code[XS_EXPECT_READ], other[XS_EXPECT_READ];
	static const unsigned char cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x8d, 0x04, 0x3f, 0xc3, 0x90 };

	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = (unsigned char)(0x40 + i);
	made(code, 1000, XSPLICE_EXPECT_MAX, code, "a long function: its first 32 bytes");
	made(code, 6, 6, code, "a 6-byte function: all of it");
	made(code, 0, 0, code, "no size: no expect");
	made(cet, 8, 4, cet + 4, "endbr64 then 4 bytes: the 4 after it");
	made(cet, 4, 0, cet, "endbr64 alone: no expect");
	memcpy(code, cet, 4);
	made(code, 1000, XSPLICE_EXPECT_MAX, code + 4, "endbr64, long: 32 bytes after it");

	memset(code, 0x90, sizeof(code));
	memcpy(other, code, sizeof(other));
	memcpy(other, "\xe9\x12\x34\x56\x78", 5);
	described(other, code, 5, "holds e9 12 34 56 78, expected 90 90 90 90 90", 0,
	          "5 bytes, all shown");
	described(other, code, 32,
	          "holds e9 12 34 56 78 90 90 90 ..., expected 90 90 90 90 90 90 90 90 ...", 0,
	          "32 bytes: the first 8 and \"...\"");
	memcpy(other, code, sizeof(other));
	other[20] = 0x04;
	described(other, code, 24, "holds 04 90 90 90, expected 90 90 90 90", 20,
	          "differing at 20: shown from there");
	other[20] = 0x90;
	other[5] = 0x01;
	described(other, code, 32,
	          "holds 90 90 90 90 90 01 90 90 ..., expected 90 90 90 90 90 90 90 90 ...", 0,
	          "differing at 5: shown from the start");
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
