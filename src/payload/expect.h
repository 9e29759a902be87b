/* SPDX-License-Identifier: MIT */
/*
 * The bytes a payload expects at each function it patches (struct
 * xsplice_expect): made from the code of the object on disk when the payload
 * is built (`xsplice cc`, `xsplice build`), compared with the code at the
 * site before it is patched, and shown when they differ.
 */
#ifndef XS_EXPECT_H
#define XS_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include <xsplice/payload.h>

/* Bytes of a function's entry to read for its expect block: the prefix the
 * patch skips (endbr64) and up to XSPLICE_EXPECT_MAX bytes after it. */
#define XS_EXPECT_READ (2 * XSPLICE_EXPECT_MAX)

/*
 * *e from the code of a function of size bytes (code: its first
 * min(size, XS_EXPECT_READ) bytes): what follows the prefix the patch skips,
 * up to XSPLICE_EXPECT_MAX bytes and never past the function's end. All zero
 * (disabled) when nothing follows the prefix.
 */
void xs_expect_make(const unsigned char *code, uint64_t size, struct xsplice_expect *e);

/*
 * have and want, n bytes each, differ: "holds 0f 1f 44 00 00 ..., expected
 * 8d 04 3f c3 ..." into buf, a few bytes of each from the first that differs
 * (or from the start, when that is near), "..." where more were compared.
 * *at: the offset of the first byte shown.
 */
void xs_expect_describe(const unsigned char *have, const unsigned char *want, size_t n, char *buf,
                        size_t len, size_t *at);

/* n bytes as "8d 04 3f c3" into buf (3 * n bytes). */
void xs_expect_hex(const unsigned char *b, size_t n, char *buf);

#endif
