/* SPDX-License-Identifier: MIT */
/* Expected bytes at patch sites: made from a function's code, described (see expect.h). */
#include "payload/expect.h"

#include <stdio.h>
#include <string.h>

#include "arch.h"

/* Bytes of each side a message shows: enough to tell two instructions apart. */
#define SHOWN 8

void xs_expect_make(const unsigned char *code, uint64_t size, struct xsplice_expect *e)
{
	size_t avail = size < XS_EXPECT_READ ? (size_t)size : XS_EXPECT_READ;
	unsigned po = xs_arch_patch_offset(code, avail);
	size_t len = avail - po;

	memset(e, 0, sizeof(*e));
	if (len > XSPLICE_EXPECT_MAX)
		len = XSPLICE_EXPECT_MAX;
	if (!len)
		return;
	e->enabled = 1;
	e->len = (uint8_t)len;
	memcpy(e->data, code + po, len);
}

void xs_expect_hex(const unsigned char *b, size_t n, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	char *o = buf;

	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ' ';
		*o++ = digits[b[i] >> 4];
		*o++ = digits[b[i] & 15];
	}
	*o = '\0';
}

static void shown(const unsigned char *b, size_t from, size_t n, char *buf)
{
	size_t k = n - from < SHOWN ? n - from : SHOWN;

	xs_expect_hex(b + from, k, buf);
	if (from + k < n)
		strcat(buf, " ...");
}

void xs_expect_describe(const unsigned char *have, const unsigned char *want, size_t n, char *buf,
                        size_t len, size_t *at)
{
	char h[3 * SHOWN + 8], w[3 * SHOWN + 8];
	size_t d = 0;

	while (d < n && have[d] == want[d])
		d++;
	/* From the start when the difference shows there too: the usual case. */
	*at = d < SHOWN - 2 || d >= n ? 0 : d;
	shown(have, *at, n, h);
	shown(want, *at, n, w);
	snprintf(buf, len, "holds %s, expected %s", h, w);
}
