/* SPDX-License-Identifier: MIT */
/* A sorted table of CFI rows by address range (see rule_rows.h). */
#include "unwind/rule_rows.h"

#include <stdlib.h>
#include <string.h>

/* Index of the first row that ends above addr (n when none). */
static size_t first_ending_above(const struct xs_rule_rows *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->end[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct xs_rule_row *xs_rows_find(const struct xs_rule_rows *r, uint64_t addr)
{
	size_t i = first_ending_above(r, addr);

	return i < r->n && r->row[i].start <= addr ? &r->row[i] : NULL;
}

const struct xs_rule_row *xs_rows_add(struct xs_rule_rows *r, const struct xs_rule_row *row)
{
	size_t i;

	if (row->start >= row->end || r->n == r->cap)
		return NULL;
	i = first_ending_above(r, row->start);
	if (i < r->n && r->row[i].start < row->end)
		return NULL; /* overlaps row i (rows before i end at or below start) */
	memmove(&r->row[i + 1], &r->row[i], (r->n - i) * sizeof(*r->row));
	memmove(&r->end[i + 1], &r->end[i], (r->n - i) * sizeof(*r->end));
	r->row[i] = *row;
	r->end[i] = row->end;
	r->n++;
	return &r->row[i];
}

bool xs_rows_reserve(struct xs_rule_rows *r, size_t more)
{
	struct xs_rule_row *row;
	uint64_t *end;
	size_t cap = r->n + more;

	if (cap <= r->cap)
		return true;
	row = realloc(r->row, cap * sizeof(*row));
	if (!row)
		return false;
	r->row = row;
	end = realloc(r->end, cap * sizeof(*end));
	if (!end)
		return false;
	r->end = end;
	/* Written once now: the stop's inserts take no page fault. */
	memset(row + r->cap, 0, (cap - r->cap) * sizeof(*row));
	memset(end + r->cap, 0, (cap - r->cap) * sizeof(*end));
	r->cap = cap;
	return true;
}

void xs_rows_free(struct xs_rule_rows *r)
{
	free(r->row);
	free(r->end);
	memset(r, 0, sizeof(*r));
}
