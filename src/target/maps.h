/* SPDX-License-Identifier: MIT */
/*
 * /proc/<pid>/maps, parsed whole: the target shapes this file (a mapped path
 * may be any length and hold any bytes but NUL), so lines are read at any
 * length and a path is everything after the inode field, never re-split.
 */
#ifndef XS_MAPS_H
#define XS_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_map {
	uint64_t start, end; /* end exclusive */
	uint64_t offset;     /* file offset of start */
	uint64_t inode;      /* 0: anonymous */
	unsigned dev_major, dev_minor;
	char perms[5]; /* "r-xp" */
	char *path;    /* "" when anonymous; "[heap]", "/memfd:x (deleted)", ... */
};

struct xs_maps {
	size_t n;
	struct xs_map *v; /* ascending, as the kernel lists them */
};

/* A whole /proc text file, NUL-terminated (st_size is 0 there: read to EOF);
 * -errno, no message. */
int xs_proc_read_text(const char *path, char **out, size_t *len);
/* -ESRCH when pid is gone; a malformed line is an error, not skipped. */
int xs_maps_read(pid_t pid, struct xs_maps **out);
/* The same from any maps file (/proc/<pid>/task/<tid>/maps), silent: -errno,
 * -EPROTO with *bad (may be NULL) the number of the malformed line. */
int xs_maps_load(const char *path, struct xs_maps **out, size_t *bad);
/* Whether m is executable ('x' in its perms). */
static inline bool xs_map_exec(const struct xs_map *m)
{
	return m->perms[2] == 'x';
}
void xs_maps_free(struct xs_maps *m);
/* The mapping holding addr, or NULL. */
const struct xs_map *xs_maps_find(const struct xs_maps *m, uint64_t addr);
/* Whether [start, end) is covered, without gaps, by mappings that all pass ok. */
bool xs_maps_covered(const struct xs_maps *m, uint64_t start, uint64_t end,
                     bool (*ok)(const struct xs_map *, void *), void *arg);
/* Parse one line (no newline); 0 or -EINVAL. path points into line. */
int xs_maps_parse_line(char *line, struct xs_map *out);

#endif
