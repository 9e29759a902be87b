/* SPDX-License-Identifier: MIT */
/* The JSON string writer of --json output (src/common/json.c). */
#ifndef XS_JSON_H
#define XS_JSON_H

#include <stddef.h>
#include <stdio.h>

/* v, up to its NUL or max bytes, as a JSON string: quotes, backslashes and
 * control characters (and DEL) escaped, each ill-formed UTF-8 subpart
 * replaced by \ufffd. */
void xs_json_string(FILE *out, const char *v, size_t max);
/* "key":"value" on stdout; _strn for a fixed-size field that may lack its NUL. */
void xs_json_str(const char *key, const char *v);
void xs_json_strn(const char *key, const char *v, size_t max);

/* v, up to its NUL or max bytes, for a terminal: every control character
 * (ESC included) and DEL as \xNN, so that a name the target wrote cannot
 * drive the operator's terminal. */
void xs_text_safe(FILE *out, const char *v, size_t max);
/* The same into dst (len bytes, NUL-terminated, cut short when full). */
void xs_text_safe_buf(char *dst, size_t len, const char *v, size_t max);

#endif
