/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: the copy of --src in which both builds run. A git work tree
 * gives what git sees, without what it ignores (the products and stamp files
 * of a build done there); any other tree is copied whole. Then the ELF files
 * and CMake build directories of an earlier build go, and what is left of
 * that build is noted for the message if the build fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/build.h"
#include "common/error.h"

static char *join(const char *a, const char *b)
{
	char *s;

	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* What the copy of --src shows of an earlier build there, for the message
 * when the build fails (nftw's callbacks take no argument). */
static struct {
	const char *tree;
	char *elf;        /* the first ELF file dropped, relative to the tree */
	time_t elf_mtime; /* the oldest one's time */
	char *stamp;      /* a stamp-like file of that build */
} seen;

/* An ELF file left over from a build in the source tree: removed so make
 * rebuilds (and logs) everything. */
static int drop_elf(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char magic[4];
	int fd;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4) && !unlink(path)) {
		if (!seen.elf)
			seen.elf = strdup(path + strlen(seen.tree) + 1);
		if (!seen.elf_mtime || st->st_mtime < seen.elf_mtime)
			seen.elf_mtime = st->st_mtime;
	}
	close(fd);
	return 0;
}

/* A file an earlier build left to say a step is done (redis's
 * .make-prerequisites, stamp-h1): empty or named so, and written around the
 * time of that build's objects (the hour before the oldest). */
static int find_stamp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (flag != FTW_F || !S_ISREG(st->st_mode) || st->st_mtime < seen.elf_mtime - 3600 ||
	    strstr(path, "/.git/"))
		return 0;
	if (st->st_size && !strstr(base, "stamp") && strncmp(base, ".make", 5))
		return 0;
	seen.stamp = strdup(path + strlen(seen.tree) + 1);
	return 1;
}

/* A CMake build directory in the source tree (the operator's own build):
 * its cache names the source tree's absolute path, which makes cmake refuse
 * the copy; the --build command makes its own. In the top directory (an
 * in-source build) only the cache goes. */
static int drop_cmake(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *cache = NULL;
	int rc = FTW_CONTINUE;

	(void)st;
	if (flag != FTW_D || asprintf(&cache, "%s/CMakeCache.txt", path) < 0)
		return FTW_CONTINUE;
	if (!access(cache, F_OK)) {
		char *files = NULL;

		xs_debug("build: dropping CMake build directory %s from the copy", path);
		if (ftw->level == 0 && asprintf(&files, "%s/CMakeFiles", path) >= 0)
			xb_run((char *const[]){ "rm", "-rf", cache, files, NULL }, NULL, NULL);
		else if (ftw->level > 0)
			xb_run((char *const[]){ "rm", "-rf", (char *)path, NULL }, NULL, NULL);
		free(files);
		rc = ftw->level ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	}
	free(cache);
	return rc;
}

/* A git work tree: copy what git sees (tracked and untracked files, in
 * their current state) without what it ignores, i.e. without the build
 * products and stamp files of a build already done there. 0: copied. */
static int copy_git(const char *src, struct xb_work *w)
{
	char *list = join(w->dir, "files"), *log = join(w->dir, "copy.log");
	int rc = -ENOMEM;

	if (list && log &&
	    !xb_run((char *const[]){ "git", "-C", (char *)src, "rev-parse", "--is-inside-work-tree",
	                             NULL },
	            NULL, log))
		rc = xb_run(
		    (char *const[]){
		        "sh", "-c",
		        "git ls-files -z -c -o --exclude-standard >\"$2\" && [ -s \"$2\" ] && "
		        "tar --null --ignore-failed-read -T \"$2\" -cf - | tar -xf - -C \"$1\"",
		        "sh", w->tree, list, NULL },
		    src, log);
	else if (list && log)
		rc = -ENOENT;
	if (!rc)
		xs_debug("build: %s is a git work tree: copied its files but the ignored ones",
		         src);
	free(list);
	free(log);
	return rc;
}

int xb_copy_src(const char *src, struct xb_work *w)
{
	char *all = NULL;

	if (mkdir(w->tree, 0755))
		return -errno;
	w->from_git = !copy_git(src, w);
	if (!w->from_git) {
		xb_run((char *const[]){ "rm", "-rf", w->tree, NULL }, NULL, NULL);
		if (mkdir(w->tree, 0755))
			return -errno;
		if (asprintf(&all, "%s/.", src) < 0)
			return -ENOMEM;
		if (xb_run((char *const[]){ "cp", "-a", all, w->tree, NULL }, NULL, NULL)) {
			free(all);
			return -EIO;
		}
		free(all);
	}
	nftw(w->tree, drop_cmake, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	seen.tree = w->tree;
	nftw(w->tree, drop_elf, 16, FTW_PHYS);
	if (seen.elf)
		nftw(w->tree, find_stamp, 16, FTW_PHYS);
	w->built = seen.elf;
	w->stamp = seen.stamp;
	memset(&seen, 0, sizeof(seen));
	return 0;
}
