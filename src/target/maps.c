/* SPDX-License-Identifier: MIT */
/* /proc/<pid>/maps, parsed whole (see maps.h). */
#include "target/maps.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

#define MAPS_MAX (256u << 20) /* a process with millions of mappings */

/* Whole /proc text file, NUL-terminated (st_size is 0 there: read to EOF). */
int xs_proc_read_text(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;

		if (fd >= 0)
			close(fd);
		free(buf);
		return err;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 2) {
			char *nb = cap < MAPS_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int err = r < 0 ? -errno : 0;

			close(fd);
			if (err) {
				free(buf);
				return err;
			}
			break;
		}
		n += r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int xs_maps_parse_line(char *line, struct xs_map *out)
{
	int n = -1;

	memset(out, 0, sizeof(*out));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", &out->start,
	           &out->end, out->perms, &out->offset, &out->dev_major, &out->dev_minor,
	           &out->inode, &n) != 7 ||
	    n < 0 || out->end <= out->start || strlen(out->perms) != 4)
		return -EINVAL;
	line += n;
	line += strspn(line, " ");
	out->path = line;
	return 0;
}

/* Parse text (len bytes, writable: lines are cut in place) into m; -errno, and
 * *bad the 1-based number of a malformed line (-EPROTO). */
static int parse_text(char *text, size_t len, struct xs_maps *m, size_t *bad)
{
	size_t cap = 0;

	for (char *line = text, *next; line < text + len; line = next) {
		char *nl = memchr(line, '\n', text + len - line);

		if (!nl) { /* the last line without '\n' */
			nl = line + strlen(line);
			next = nl;
		} else {
			next = nl + 1;
		}
		*nl = '\0';
		if (m->n == cap) {
			struct xs_map *v = realloc(m->v, (cap ? 2 * cap : 64) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			m->v = v;
			cap = cap ? 2 * cap : 64;
		}
		if (xs_maps_parse_line(line, &m->v[m->n])) {
			*bad = m->n + 1;
			return -EPROTO;
		}
		m->v[m->n].path = strdup(m->v[m->n].path);
		if (!m->v[m->n].path)
			return -ENOMEM;
		m->n++;
	}
	return 0;
}

int xs_maps_load(const char *path, struct xs_maps **out, size_t *bad)
{
	char *buf = NULL;
	size_t len = 0, line = 0;
	struct xs_maps *m;
	int rc;

	*out = NULL;
	if (bad)
		*bad = 0;
	rc = xs_proc_read_text(path, &buf, &len);
	if (rc)
		return rc;
	m = calloc(1, sizeof(*m));
	rc = m ? parse_text(buf, len, m, &line) : -ENOMEM;
	free(buf);
	if (rc) {
		xs_maps_free(m);
		if (bad)
			*bad = line;
		return rc;
	}
	*out = m;
	return 0;
}

int xs_maps_read(pid_t pid, struct xs_maps **out)
{
	char path[64];
	size_t bad;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	rc = xs_maps_load(path, out, &bad);
	if (rc == -ENOENT)
		return xs_fail(-ESRCH, "pid %d: cannot read %s", (int)pid, path);
	if (rc == -EPROTO)
		return xs_fail(rc, "pid %d: %s: unreadable line %zu", (int)pid, path, bad);
	if (rc == -ENOMEM)
		return xs_fail(rc, "pid %d: no memory for its memory map", (int)pid);
	if (rc)
		return xs_fail(rc, "pid %d: cannot read %s", (int)pid, path);
	return 0;
}

void xs_maps_free(struct xs_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	free(m);
}

const struct xs_map *xs_maps_find(const struct xs_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

bool xs_maps_covered(const struct xs_maps *m, uint64_t start, uint64_t end,
                     bool (*ok)(const struct xs_map *, void *), void *arg)
{
	while (start < end) {
		const struct xs_map *v = xs_maps_find(m, start);

		if (!v || !ok(v, arg))
			return false;
		start = v->end;
	}
	return true;
}
