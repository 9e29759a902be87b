/* SPDX-License-Identifier: MIT */
/*
 * The demo's live patch: replaces the file-local parse_record() of
 * demo/server.c with one that refuses a record whose declared length is
 * more than the bytes that arrived. Build: xsplice cc --target SERVER ...
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <xsplice/payload.h>

#include "proto.h"

/* The server's own counter (a static in server.c): refusals stay visible in its stats. */
extern atomic_ulong bad_records XSPLICE_LOCAL_SYM("server.c", bad_records);

static int fixed_parse_record(const uint8_t *body, size_t n, struct record *rec)
{
	if (n < 2 || body[0] != REC_ECHO || body[1] > sizeof(rec->data) ||
	    body[1] > n - 2 /* the fix: never echo more than was sent */) {
		atomic_fetch_add_explicit(&bad_records, 1, memory_order_relaxed);
		return -1;
	}
	rec->type = body[0];
	rec->len = body[1];
	memcpy(rec->data, body + 2, rec->len);
	return 0;
}

XSPLICE_REPLACE_LOCAL("server.c", parse_record, fixed_parse_record);
