/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the stack check's range search (src/engine/quiesce.c): sorted
 * ranges, nested and overlapping ones included, searched by bisection, must
 * answer as a scan of every range does, for every PC near any boundary.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "engine/engine_int.h"

static bool scan(uint64_t pc, const struct xs_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pc >= r[i].start && pc < r[i].end)
			return true;
	return false;
}

/* Every PC within 2 of any boundary: the answer and, if any, a range holding it. */
static int mismatches(struct xs_range *r, size_t n)
{
	int bad = 0;

	xs_ranges_sort(r, n);
	for (size_t i = 0; i < n; i++)
		for (uint64_t b = 0; b < 2; b++)
			for (int64_t d = -2; d <= 2; d++) {
				uint64_t pc = (b ? r[i].end : r[i].start) + (uint64_t)d;
				const struct xs_range *hit = xs_ranges_find(pc, r, n);

				bad += (hit != NULL) != scan(pc, r, n) ||
				       (hit && (pc < hit->start || pc >= hit->end));
			}
	return bad;
}

int main(void)
{
	struct xs_range fixed[] = {
		{ .start = 100, .end = 200, .what = "outer" },
		{ .start = 120, .end = 130, .what = "nested" },
		{ .start = 150, .end = 400, .what = "overlap" },
		{ .start = 500, .end = 501, .what = "one byte" },
		{ .start = 10, .end = 20, .what = "first" },
		{ .start = 600, .end = 600, .what = "empty" },
		{ .start = 90, .end = 1000, .what = "wide" },
	};
	struct xs_range many[1000];
	int bad;

	check(mismatches(fixed, 3) == 0, "outer, nested and overlapping ranges");
	check(mismatches(fixed, sizeof(fixed) / sizeof(fixed[0])) == 0,
	      "with a one-byte, an empty and a range over all the others");
	check(xs_ranges_find(5, fixed, 7) == NULL && xs_ranges_find(95, fixed, 7) != NULL &&
	          xs_ranges_find(15, fixed, 7) != NULL,
	      "below everything: none; inside the wide one: found");
	check(xs_ranges_find(1, fixed, 0) == NULL, "no ranges: none");

	srand(7);
	for (int round = 0, failed = 0; round < 50; round++) {
		for (size_t i = 0; i < 1000; i++) {
			uint64_t at = (uint64_t)(rand() % 100000), len = (uint64_t)(rand() % 300);

			many[i] =
			    (struct xs_range){ .start = at, .end = at + len, .what = "random" };
		}
		bad = mismatches(many, 1000);
		failed += bad != 0;
		if (round == 49)
			check(failed == 0,
			      "50 rounds of 1000 random ranges agree with a scan (%d failed)",
			      failed);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
