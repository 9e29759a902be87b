/* SPDX-License-Identifier: MIT */
/*
 * The CFI rows the unwinder has met, each kept as a frame rule with the
 * address range libdw says the row covers (dwarf_frame_info), sorted by
 * address. Threads stopped anywhere in one loop or one libc wait share a
 * row, and a row looked up while the process still runs serves every PC in
 * its range once it is stopped: a lookup in libdw costs microseconds, a
 * search here a few comparisons.
 */
#ifndef XS_RULE_ROWS_H
#define XS_RULE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/frame_rule.h"

struct xs_rule_row {
	uint64_t start, end; /* [start, end) in target addresses */
	struct xs_frame_rule rule;
};

struct xs_rule_rows {
	struct xs_rule_row *row;
	uint64_t *end; /* row[i].end, packed: the search touches a few cache lines */
	size_t n, cap;
};

/* The row covering addr, or NULL. */
const struct xs_rule_row *xs_rows_find(const struct xs_rule_rows *r, uint64_t addr);
/*
 * Keep a row; NULL when it is empty, overlaps one kept or there is no room
 * (nothing is allocated here: see xs_rows_reserve). The pointer is valid
 * until the next xs_rows_add.
 */
const struct xs_rule_row *xs_rows_add(struct xs_rule_rows *r, const struct xs_rule_row *row);
/* Room for `more` rows beyond those kept, allocated and faulted in now. */
bool xs_rows_reserve(struct xs_rule_rows *r, size_t more);
void xs_rows_free(struct xs_rule_rows *r);

#endif
