/* SPDX-License-Identifier: MIT */
/*
 * The one JSON string writer, for the CLI's --json output. The strings come
 * from payloads and from the target's memory (ids, function names, object
 * paths), both hostile: whatever the bytes, what is printed is valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 with
 * *bad the length of its maximal ill-formed subpart (at least 1): Unicode's
 * "substitution of maximal subparts", one U+FFFD each. Overlong forms,
 * surrogates and code points past U+10FFFF are ill-formed (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t want, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		want = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		want = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		want = 4;
	else {
		*bad = 1; /* a continuation byte, C0, C1 or F5..FF */
		return 0;
	}
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong below U+0800 */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong below U+10000 */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	for (i = 1; i < want; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80, hi = 0xbf;
	}
	return want;
}

void xs_json_string(FILE *out, const char *v, size_t max)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strnlen(v, max);

	putc('"', out);
	while (n) {
		size_t len, bad = 0;

		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s);
			len = 1;
		} else if (*s == '\n') {
			fputs("\\n", out), len = 1;
		} else if (*s == '\t') {
			fputs("\\t", out), len = 1;
		} else if (*s == '\r') {
			fputs("\\r", out), len = 1;
		} else if (*s < 0x20 || *s == 0x7f) { /* DEL: valid JSON, but not for a terminal */
			fprintf(out, "\\u%04x", *s);
			len = 1;
		} else if ((len = utf8_len(s, n, &bad))) {
			fwrite(s, 1, len, out);
		} else {
			fputs("\\ufffd", out);
			len = bad;
		}
		s += len;
		n -= len;
	}
	putc('"', out);
}

void xs_json_str(const char *key, const char *v)
{
	xs_json_strn(key, v, SIZE_MAX);
}

void xs_json_strn(const char *key, const char *v, size_t max)
{
	xs_json_string(stdout, key, SIZE_MAX);
	putchar(':');
	xs_json_string(stdout, v, max);
}

void xs_text_safe(FILE *out, const char *v, size_t max)
{
	for (size_t i = 0; i < max && v[i]; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void xs_text_safe_buf(char *dst, size_t len, const char *v, size_t max)
{
	size_t o = 0;

	if (!len)
		return;
	for (size_t i = 0; i < max && v[i]; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f) {
			if (o + 4 >= len)
				break;
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			if (o + 1 >= len)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}
