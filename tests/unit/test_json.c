/* SPDX-License-Identifier: MIT */
/*
 * The JSON string writer (src/common/json.c): every byte string comes out as a
 * valid JSON string, ill-formed UTF-8 replaced by one \ufffd per maximal
 * ill-formed subpart.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"

static void expect(const char *in, size_t max, const char *want, const char *what)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	if (!f) {
		check(false, "%s: open_memstream", what);
		return;
	}
	xs_json_string(f, in, max);
	fclose(f);
	check(got && !strcmp(got, want), "%s: got %s, want %s", what, got ? got : "(null)", want);
	free(got);
}

/* xs_text_safe_buf: as xs_text_safe, into a buffer of len bytes, cut short. */
static void expect_safe(const char *in, size_t len, const char *want, const char *what)
{
	char buf[64];

	memset(buf, 'Z', sizeof(buf));
	xs_text_safe_buf(buf, len, in, SIZE_MAX);
	check(!strcmp(buf, want), "%s: got '%s', want '%s'", what, buf, want);
	check(len >= sizeof(buf) || buf[len] == 'Z', "%s: wrote past %zu bytes", what, len);
}

int main(void)
{
	expect_safe("ok name", 64, "ok name", "text_safe_buf: plain text as is");
	expect_safe("a\x1b[1m\n\x7f", 64, "a\\x1b[1m\\x0a\\x7f",
	            "text_safe_buf: ESC, newline, DEL as \\xNN");
	expect_safe("abcdef", 4, "abc", "text_safe_buf: cut at the buffer's end");
	expect_safe("ab\x01", 6, "ab",
	            "text_safe_buf: an escape that does not fit is left out whole");
	expect_safe("x", 1, "", "text_safe_buf: room for the NUL only");

	expect("plain", SIZE_MAX, "\"plain\"", "ASCII as is");
	expect("a\"b\\c", SIZE_MAX, "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	expect("\n\t\r\x01\x1f\x7f", SIZE_MAX, "\"\\n\\t\\r\\u0001\\u001f\\u007f\"",
	       "control characters and DEL escaped");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", SIZE_MAX,
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	       "well-formed 2, 3, 4-byte UTF-8 kept");
	expect("\xef\xbf\xbf\xf4\x8f\xbf\xbf", SIZE_MAX, "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"",
	       "U+FFFF and U+10FFFF kept");
	expect("a\xff"
	       "b",
	       SIZE_MAX, "\"a\\ufffdb\"", "0xff replaced");
	expect("\x80\xbf", SIZE_MAX, "\"\\ufffd\\ufffd\"", "lone continuation bytes, one each");
	expect("\xc0\xaf", SIZE_MAX, "\"\\ufffd\\ufffd\"", "overlong '/' (C0 AF)");
	expect("\xe0\x80\xaf", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte");
	expect("\xed\xa0\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\"", "surrogate U+D800");
	expect("\xf4\x90\x80\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF");
	expect("\xe2\x82"
	       "x",
	       SIZE_MAX, "\"\\ufffdx\"", "truncated 3-byte: one for the subpart");
	expect("\xf0\x9f\x98", SIZE_MAX, "\"\\ufffd\"", "truncated 4-byte at the end");
	expect("\xe2\x82\xac", 2, "\"\\ufffd\"", "cut by max inside a sequence");
	expect("abcdef", 3, "\"abc\"", "stops at max without a NUL");
	expect("", SIZE_MAX, "\"\"", "empty");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
