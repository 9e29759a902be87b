/* SPDX-License-Identifier: MIT */
/*
 * The target's registry (a memfd it maps shared) mapped into this process
 * too, through /proc/PID/map_files: the stop's commits become stores into
 * the same pages instead of writes through /proc/PID/mem (3-8 us each on
 * the VM we measure on). Only a faster path: without it every read and
 * write of the registry goes through the target's memory as before.
 */
#ifndef XS_STATE_MAP_H
#define XS_STATE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_state_map {
	void *mem; /* NULL: not mapped */
	size_t len;
	dev_t dev; /* the memfd's identity, to tell it from a registry made anew */
	ino_t ino;
};

/* Map the len bytes pid maps at addr, page tables filled; false if not. */
bool xs_state_map_open(struct xs_state_map *m, pid_t pid, uint64_t addr, size_t len);
/* Whether pid still maps the same memfd at addr. */
bool xs_state_map_current(const struct xs_state_map *m, pid_t pid, uint64_t addr);
void xs_state_map_close(struct xs_state_map *m);

#endif
