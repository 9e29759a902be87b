/* SPDX-License-Identifier: MIT */
/*
 * Payload placement from /proc/<pid>/maps. Below the patched object first:
 * above an executable lie brk and the heap, which must stay free to grow.
 */
#include "loader/placement.h"

#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "target/maps.h"
#include "common/page.h"

#define PAGE ((uint64_t)xs_page_size())
#define GUARD PAGE               /* keep one free page on each side */
#define LOW_LIMIT 0x10000ull     /* vm.mmap_min_addr default */
#define HEAP_ROOM (256ull << 20) /* leave the brk heap room to grow */

static int fits(uint64_t addr, size_t size, uint64_t obj_start, uint64_t obj_end, uint64_t reach)
{
	uint64_t lo = addr < obj_start ? addr : obj_start;
	uint64_t hi = addr + size > obj_end ? addr + size : obj_end;

	return hi - lo < reach;
}

int xs_find_gap(pid_t pid, uint64_t obj_start, uint64_t obj_end, size_t size, uint64_t reach,
                uint64_t *addr)
{
	struct xs_maps *maps;
	const struct xs_map *m;
	size_t n;
	uint64_t heap_end = 0, best = 0;
	int rc = xs_maps_read(pid, &maps);

	if (rc)
		return rc;
	m = maps->v;
	n = maps->n;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].path, "[heap]"))
			heap_end = m[i].end;
	/* Below the object: the highest free range that fits. */
	for (size_t i = 0; i < n; i++) {
		uint64_t gap_lo = i ? m[i - 1].end : LOW_LIMIT, gap_hi = m[i].start;
		uint64_t cand;

		if (gap_hi > obj_start || gap_hi < gap_lo + size + 2 * GUARD)
			continue;
		cand = (gap_hi - GUARD - size) & ~(PAGE - 1);
		if (cand >= gap_lo + GUARD && fits(cand, size, obj_start, obj_end, reach))
			best = cand;
	}
	/* Above it, past the heap's room: the lowest free range that fits. */
	for (size_t i = 0; !best && i < n; i++) {
		uint64_t gap_lo = m[i].end, gap_hi = i + 1 < n ? m[i + 1].start : (1ull << 47);
		uint64_t cand;

		if (gap_lo < obj_end)
			continue;
		if (heap_end >= obj_end && heap_end + HEAP_ROOM > gap_lo)
			gap_lo = heap_end + HEAP_ROOM; /* brk grows up from the heap */
		if (gap_hi < gap_lo + size + 2 * GUARD)
			continue;
		cand = XS_ALIGN_UP(gap_lo + GUARD, PAGE);
		if (fits(cand, size, obj_start, obj_end, reach))
			best = cand;
	}
	xs_maps_free(maps);
	if (!best)
		return xs_fail(-ENOMEM,
		               "pid %d: no free %zu bytes within jump reach of 0x%llx-0x%llx", pid,
		               size, (unsigned long long)obj_start, (unsigned long long)obj_end);
	*addr = best;
	return 0;
}
