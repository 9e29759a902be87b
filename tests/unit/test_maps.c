/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the one /proc/<pid>/maps parser (src/target/maps.c), which every
 * reader of a maps file goes through: paths the target chose (spaces, " (deleted)",
 * longer than any line buffer), anonymous lines, a last line without '\n',
 * a malformed line refused with its number, and this process's own maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "target/maps.h"

static int load_text(const char *text, struct xs_maps **out, size_t *bad)
{
	char path[] = "/tmp/xs-test-maps.XXXXXX";
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	rc = xs_maps_load(path, out, bad);
	unlink(path);
	return rc;
}

int main(void)
{
	struct xs_maps *m = NULL;
	size_t bad = 0;
	char *text, *longpath = malloc(10001);
	int rc;

	memset(longpath, 'a', 10000);
	longpath[0] = '/';
	longpath[10000] = '\0';
	if (asprintf(
	        &text,
	        "00400000-00401000 r-xp 00000000 08:01 1234                       /usr/bin/a b\n"
	        "00401000-00402000 rw-p 00001000 08:01 1234 /usr/bin/a b (deleted)\n"
	        "00402000-00403000 rw-p 00000000 00:00 0 \n"
	        "7ffc0000-7ffc1000 rw-p 00000000 00:00 0                          [stack]\n"
	        "7ffd0000-7ffd2000 r-xp 00000000 fd:02 99 %s\n"
	        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]",
	        longpath) < 0)
		return 1;
	rc = load_text(text, &m, &bad);
	check(rc == 0 && m && m->n == 6, "six lines, the last without a newline (rc %d, n %zu)", rc,
	      m ? m->n : 0);
	if (m && m->n == 6) {
		check(m->v[0].start == 0x400000 && m->v[0].end == 0x401000 &&
		          !strcmp(m->v[0].perms, "r-xp") && xs_map_exec(&m->v[0]) &&
		          m->v[0].inode == 1234 && m->v[0].dev_major == 8 && m->v[0].dev_minor == 1,
		      "fields of the first line");
		check(!strcmp(m->v[0].path, "/usr/bin/a b"),
		      "a path with a space, after the column padding: '%s'", m->v[0].path);
		check(!strcmp(m->v[1].path, "/usr/bin/a b (deleted)") && m->v[1].offset == 0x1000 &&
		          !xs_map_exec(&m->v[1]),
		      "a deleted file keeps its suffix, its offset");
		check(!m->v[2].path[0] && !m->v[2].inode, "an anonymous line has path \"\"");
		check(!strcmp(m->v[3].path, "[stack]"), "[stack]");
		check(!strcmp(m->v[4].path, longpath), "a path of 10000 bytes, whole");
		check(m->v[5].end == 0xffffffffff601000ull && !strcmp(m->v[5].path, "[vsyscall]"),
		      "the top of the address space");
		check(xs_maps_find(m, 0x400fff) == &m->v[0] && !xs_maps_find(m, 0x403000) &&
		          xs_maps_find(m, 0x7ffd1000) == &m->v[4],
		      "xs_maps_find: inside, in a gap, in the last page");
	}
	xs_maps_free(m);
	free(text);
	free(longpath);

	m = NULL;
	rc = load_text("00400000-00401000 r-xp 00000000 08:01 1 /a\nnot a line\n", &m, &bad);
	check(rc == -EPROTO && bad == 2 && !m,
	      "a malformed line is refused with its number (rc %d, line %zu)", rc, bad);
	rc = load_text("00402000-00401000 r-xp 00000000 08:01 1 /a\n", &m, &bad);
	check(rc == -EPROTO && bad == 1 && !m, "end before start is refused (rc %d)", rc);
	rc = load_text("", &m, &bad);
	check(rc == 0 && m && m->n == 0, "an empty file: no mappings (rc %d)", rc);
	xs_maps_free(m);
	check(xs_maps_load("/nonexistent/maps", &m, NULL) == -ENOENT && !m,
	      "a missing file: -ENOENT");

	rc = xs_maps_read(getpid(), &m);
	check(rc == 0 && m && m->n > 0 && xs_maps_find(m, (uint64_t)(uintptr_t)&main),
	      "this process's maps hold main (rc %d)", rc);
	xs_maps_free(m);

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
