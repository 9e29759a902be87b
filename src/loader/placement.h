/* SPDX-License-Identifier: MIT */
/* Choosing where a payload goes in the target: a free range within jump reach. */
#ifndef XS_PLACEMENT_H
#define XS_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A free, page-aligned address for size bytes such that every byte of
 * [obj_start, obj_end) and of the new range lie within `reach` of each other.
 * Prefers the highest gap below the object (above it lie brk and the heap).
 */
int xs_find_gap(pid_t pid, uint64_t obj_start, uint64_t obj_end, size_t size, uint64_t reach,
                uint64_t *addr);

#endif
