/* SPDX-License-Identifier: MIT */
/*
 * The one JSON shape of a payload's functions, for info --json (from its
 * file), list --json and get --json (from the process): every key always
 * there, null where the source does not know the value (docs/cli.md).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "common/error.h"
#include "common/json.h"

static void addr_or_null(const char *key, bool known, uint64_t v)
{
	if (known)
		printf(",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
	else
		printf(",\"%s\":null", key);
}

static void func_json(const struct xs_func_view *f)
{
	char hex[2 * XSPLICE_EXPECT_MAX + 1];

	putchar('{');
	xs_json_str("old", f->old);
	if (f->new_name) {
		putchar(',');
		xs_json_str("new", f->new_name);
	} else {
		printf(",\"new\":null");
	}
	printf(",\"kind\":\"%s\"", f->nop ? "nop" : "replace");
	addr_or_null("old_addr", f->placed, f->old_addr);
	addr_or_null("new_addr", f->placed && !f->nop, f->new_addr);
	if (f->placed || f->old_size)
		printf(",\"old_size\":%u", f->old_size);
	else
		printf(",\"old_size\":null");
	if (f->nop)
		printf(",\"new_size\":%u", f->new_size);
	else
		printf(",\"new_size\":null");
	if (f->expect.enabled) {
		xs_hex(f->expect.data, f->expect.len, hex);
		printf(",\"expect\":\"%s\"", hex);
	} else {
		printf(",\"expect\":null");
	}
	printf(f->applied < 0 ? ",\"applied\":null}" :
	       f->applied     ? ",\"applied\":true}" :
	                        ",\"applied\":false}");
}

void cli_funcs_json(const struct xs_func_view *v, size_t n)
{
	printf("\"funcs\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		func_json(&v[i]);
	}
	putchar(']');
}
