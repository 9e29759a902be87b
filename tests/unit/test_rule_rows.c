/* SPDX-License-Identifier: MIT */
/*
 * Unit test for src/unwind/rule_rows.c: rows kept sorted by address range, found by
 * any address inside them, and refused when they overlap one kept, are
 * empty, or find no room (the stop never allocates).
 */
#include <stdlib.h>

#include "check.h"
#include "unwind/rule_rows.h"

static struct xs_rule_row row(uint64_t start, uint64_t end, int64_t tag)
{
	struct xs_rule_row r = { .start = start, .end = end };

	r.rule.cfa_off = tag;
	return r;
}

static int64_t tag_at(const struct xs_rule_rows *r, uint64_t addr)
{
	const struct xs_rule_row *found = xs_rows_find(r, addr);

	return found ? found->rule.cfa_off : -1;
}

int main(void)
{
	struct xs_rule_rows r = { 0 };
	struct xs_rule_row x;
	bool sorted = true, all_found = true;

	check(!xs_rows_find(&r, 0x1000), "empty table: nothing found");
	x = row(0x1000, 0x1010, 1);
	check(!xs_rows_add(&r, &x), "no room reserved: refused");
	check(xs_rows_reserve(&r, 4) && r.cap >= 4, "room for 4 reserved");
	x = row(0x2000, 0x2040, 2);
	check(xs_rows_add(&r, &x) != NULL, "row [0x2000,0x2040) kept");
	x = row(0x1000, 0x1010, 1);
	check(xs_rows_add(&r, &x) != NULL, "row before it kept");
	x = row(0x1010, 0x1020, 3);
	check(xs_rows_add(&r, &x) != NULL, "adjacent row kept");
	check(tag_at(&r, 0x1000) == 1 && tag_at(&r, 0x100f) == 1 && tag_at(&r, 0x1010) == 3 &&
	          tag_at(&r, 0x201f) == 2 && tag_at(&r, 0x203f) == 2,
	      "each address inside a row finds that row");
	check(tag_at(&r, 0xfff) == -1 && tag_at(&r, 0x1020) == -1 && tag_at(&r, 0x2040) == -1 &&
	          tag_at(&r, 0x1fff) == -1,
	      "addresses in gaps and at ends find nothing");
	x = row(0x2030, 0x2050, 4);
	check(!xs_rows_add(&r, &x), "overlapping the end of a row: refused");
	x = row(0x1ff0, 0x2001, 4);
	check(!xs_rows_add(&r, &x), "overlapping the start of a row: refused");
	x = row(0x1008, 0x1009, 4);
	check(!xs_rows_add(&r, &x), "inside a row: refused");
	x = row(0x3000, 0x3000, 4);
	check(!xs_rows_add(&r, &x), "empty row: refused");
	x = row(0x4000, 0x4008, 5);
	check(xs_rows_add(&r, &x) != NULL && r.n == 4, "fourth row fills the room");
	x = row(0x5000, 0x5008, 6);
	check(!xs_rows_add(&r, &x), "full: refused");

	/* Many rows in random order: sorted, and each found by its every end. */
	xs_rows_free(&r);
	check(xs_rows_reserve(&r, 1000), "room for 1000");
	srand(7);
	for (int k = 0; k < 3000; k++) {
		uint64_t start = (uint64_t)(rand() % 20000) * 16;

		x = row(start, start + 1 + rand() % 40, (int64_t)start);
		xs_rows_add(&r, &x);
	}
	for (size_t k = 1; k < r.n; k++)
		sorted &= r.row[k - 1].end <= r.row[k].start;
	for (size_t k = 0; k < r.n; k++)
		all_found &= tag_at(&r, r.row[k].start) == (int64_t)r.row[k].start &&
		             tag_at(&r, r.row[k].end - 1) == (int64_t)r.row[k].start;
	check(r.n > 500 && sorted && all_found,
	      "%zu random rows: sorted, none overlapping, all found", r.n);
	xs_rows_free(&r);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
