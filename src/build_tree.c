/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: the two trees. Copy the project to tree/, build it through a
 * compiler wrapper that adds one section per function and per variable and
 * logs every compile; snapshot tree/ to orig/, apply the diff in tree/,
 * rebuild there (same absolute path: CMake's cache stays valid): what the
 * wrapper logs the second time are the objects the diff changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "error.h"

/* Adds the section flags after the project's own (last wins) and xsplice's
 * include directory after the project's (for <xsplice/shadow.h>), logs
 * "cwd<TAB>object" for every compile (-c), runs the real compiler. */
static const char wrapper_text[] =
	"#!/bin/sh\n"
	"# written by xsplice build: one section per function and variable, logged\n"
	"out= prev= compile=0 src= shared=0 ins=\n"
	"for a in \"$@\"; do\n"
	"\tcase \"$prev\" in -o) out=$a ;; *) case \"$a\" in *.o) ins=\"$ins\t$a\" ;; esac ;; esac\n"
	"\tcase \"$a\" in -c) compile=1 ;; -shared) shared=1 ;; *.c) src=$a ;; esac\n"
	"\tprev=$a\n"
	"done\n"
	"if [ $compile = 1 ] && [ -n \"$XSPLICE_BUILD_LOG\" ]; then\n"
	"\t[ -n \"$out\" ] || { out=${src##*/}; out=${out%.c}.o; }\n"
	"\tprintf '%s\\t%s\\n' \"$PWD\" \"$out\" >>\"$XSPLICE_BUILD_LOG\"\n"
	"fi\n"
	"# a link: cwd, output, 1 if -shared, the objects it links\n"
	"if [ $compile = 0 ] && [ -n \"$out\" ] && [ -n \"$XSPLICE_LINK_LOG\" ]; then\n"
	"\tprintf '%s\\t%s\\t%s%s\\n' \"$PWD\" \"$out\" $shared \"$ins\" >>\"$XSPLICE_LINK_LOG\"\n"
	"fi\n"
	"# the patched build: how it compiled OUT (directory, compiler, arguments),\n"
	"# should the payload need OUT built with external data through the GOT\n"
	"if [ $compile = 1 ] && [ -n \"$XSPLICE_GOT_CMD\" ]; then\n"
	"\t[ -n \"$out\" ] || { out=${src##*/}; out=${out%.c}.o; }\n"
	"\tprintf '%s\\0' \"$PWD\" \"${XSPLICE_REAL_CC:-gcc}\" \"$@\" \\\n"
	"\t\t${XSPLICE_INCLUDE:+-idirafter \"$XSPLICE_INCLUDE\"} >\"$out.xsgot.cmd\"\n"
	"fi\n"
	"exec ${XSPLICE_REAL_CC:-gcc} \"$@\" -ffunction-sections -fdata-sections \\\n"
	"\t${XSPLICE_INCLUDE:+-idirafter \"$XSPLICE_INCLUDE\"}\n";

int xb_run(char *const argv[], const char *dir, const char *log)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return xs_fail(-errno, "cannot start %s", argv[0]);
	if (pid == 0) {
		xs_child_signals();
		if (log) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				_exit(126);
			close(fd);
		}
		if (dir && chdir(dir))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return xs_fail(-errno, "waiting for %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD; /* callers name what failed */
	return 0;
}

static char *join(const char *a, const char *b)
{
	char *s;

	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

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
	if (read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4))
		unlink(path);
	close(fd);
	return 0;
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

static int write_wrapper(struct xb_work *w)
{
	FILE *f = fopen(w->wrapper, "we");

	if (!f)
		return xs_fail(-errno, "cannot create %s", w->wrapper);
	fputs(wrapper_text, f);
	if (fclose(f) || chmod(w->wrapper, 0755))
		return xs_fail(-errno, "cannot write %s", w->wrapper);
	return 0;
}

int xb_tree_prepare(const struct xb_opts *o, struct xb_work *w)
{
	char src[PATH_MAX];
	int rc;

	if (!realpath(o->src, src))
		return xs_fail(-errno, "source tree %s", o->src);
	if (o->work) {
		if (mkdir(o->work, 0700) && errno != EEXIST)
			return xs_fail(-errno, "cannot create work directory %s", o->work);
		w->dir = realpath(o->work, NULL);
	} else {
		char tmpl[] = "/tmp/xsplice-build.XXXXXX";

		w->dir = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
	}
	if (!w->dir)
		return xs_fail(-errno, "cannot create a work directory");
	w->orig = join(w->dir, "orig");
	w->tree = join(w->dir, "tree");
	w->wrapper = join(w->dir, "cc-wrapper");
	if (!w->orig || !w->tree || !w->wrapper)
		return -ENOMEM;
	rc = write_wrapper(w);
	if (rc)
		return rc;
	/* The wrapper stands in for the compiler the environment names. */
	if (getenv("CC") && !getenv("XSPLICE_REAL_CC"))
		setenv("XSPLICE_REAL_CC", getenv("CC"), 1);
	xb_run((char *const[]){ "rm", "-rf", w->orig, w->tree, NULL }, NULL, NULL);
	if (mkdir(w->tree, 0755))
		return xs_fail(-errno, "cannot create %s", w->tree);
	strcat(src, "/.");
	if (xb_run((char *const[]){ "cp", "-a", src, w->tree, NULL }, NULL, NULL))
		return xs_fail(-EIO, "cannot copy %s to %s", o->src, w->tree);
	nftw(w->tree, drop_cmake, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	nftw(w->tree, drop_elf, 16, FTW_PHYS);
	return 0;
}

/* "cwd<TAB>object" lines -> object paths relative to the tree. */
static int read_log(struct xb_work *w, const char *log, const char *tree)
{
	FILE *f = fopen(log, "re");
	char line[PATH_MAX * 2 + 2];
	size_t tl = strlen(tree);
	int rc = 0;

	if (!f)
		return 0; /* nothing compiled */
	while (!rc && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *obj, *rel, **v;

		line[strcspn(line, "\n")] = '\0';
		if (!tab)
			continue;
		*tab = '\0';
		if (tab[1] == '/')
			obj = strdup(tab + 1);
		else if (asprintf(&obj, "%s/%s", line, tab + 1) < 0)
			obj = NULL;
		if (!obj) {
			rc = -ENOMEM;
			break;
		}
		rel = !strncmp(obj, tree, tl) && obj[tl] == '/' ? obj + tl + 1 : NULL;
		v = rel ? realloc(w->objs, (w->nobjs + 1) * sizeof(*v)) : NULL;
		if (rel && v) {
			w->objs = v;
			w->objs[w->nobjs] = strdup(rel);
			rc = w->objs[w->nobjs++] ? 0 : -ENOMEM;
		} else if (!rel) {
			rc = xs_fail(-EINVAL, "the build wrote %s outside its tree %s", obj, tree);
		} else {
			rc = -ENOMEM;
		}
		free(obj);
	}
	fclose(f);
	return rc;
}

int xb_tree_build(const struct xb_opts *o, struct xb_work *w, bool patched)
{
	const char *tree = w->tree, *what = patched ? "patched" : "orig";
	char *log = NULL, *out = NULL, *cmd = NULL, *links = NULL;
	int rc = -ENOMEM;

	if (asprintf(&log, "%s/%s.compiles", w->dir, what) < 0 ||
	    asprintf(&out, "%s/%s.build.log", w->dir, what) < 0)
		goto done;
	/* make takes CC from its command line over the Makefile's; other
	 * build commands may read it from the environment. */
	if (asprintf(&cmd, "%s CC='%s'", o->build, w->wrapper) < 0)
		goto done;
	unlink(log);
	unlink(out);
	if (asprintf(&links, "%s/%s.links", w->dir, what) < 0) {
		rc = -ENOMEM;
		goto done;
	}
	unlink(links);
	setenv("XSPLICE_LINK_LOG", links, 1);
	setenv("XSPLICE_BUILD_LOG", log, 1);
	setenv("CC", w->wrapper, 1);
	if (o->include) /* the patched code may use <xsplice/shadow.h> */
		setenv("XSPLICE_INCLUDE", o->include, 1);
	if (patched)
		setenv("XSPLICE_GOT_CMD", "1", 1);
	rc = xb_run((char *const[]){ "sh", "-c", strncmp(o->build, "make", 4) ? (char *)o->build : cmd,
				     NULL },
		    tree, out);
	unsetenv("XSPLICE_BUILD_LOG");
	unsetenv("XSPLICE_LINK_LOG");
	unsetenv("XSPLICE_GOT_CMD");
	if (rc) {
		rc = xs_fail(-EINVAL, "building the %s tree failed (%s): see %s", what, o->build, out);
		goto done;
	}
	/* Nothing logged at all: the build did not go through our CC. */
	if (!patched && access(log, F_OK))
		rc = xs_fail(-EINVAL, "building the orig tree with '%s' compiled nothing through $CC (does the build use CC?): see %s",
			     o->build, out);
	if (patched)
		rc = read_log(w, log, tree);
	if (patched && !rc && !w->nobjs)
		rc = xs_fail(-ENODATA, "the patched build compiled nothing: the diff %s touches no source file the build uses (see %s)",
			     o->patch, out);
done:
	free(log);
	free(out);
	free(cmd);
	free(links);
	return rc;
}

int xb_tree_patch(const struct xb_opts *o, struct xb_work *w)
{
	char diff[PATH_MAX], *log = NULL;
	static const char *const levels[] = { "-p1", "-p0" };
	int rc = -ENOENT;

	if (!realpath(o->patch, diff))
		return xs_fail(-errno, "patch %s", o->patch);
	/* orig/ keeps the original objects and sources; tree/ is patched and
	 * rebuilt in place, times preserved, so make redoes only the diff's. */
	if (xb_run((char *const[]){ "cp", "-a", w->tree, w->orig, NULL }, NULL, NULL))
		return xs_fail(-EIO, "cannot copy %s to %s", w->tree, w->orig);
	if (asprintf(&log, "%s/patch.log", w->dir) < 0)
		return -ENOMEM;
	/* A dry run first: a half-applied diff at -p1 would spoil the -p0 try. */
	for (size_t i = 0; i < XS_ARRAY_SIZE(levels) && rc; i++) {
		char *p = (char *)levels[i];

		if (!xb_run((char *const[]){ "patch", p, "--batch", "--forward", "--dry-run", "-s", "-i",
					     diff, NULL },
			    w->tree, log))
			rc = xb_run((char *const[]){ "patch", p, "--batch", "--forward", "-s", "-i", diff,
						     NULL },
				    w->tree, log);
	}
	if (rc)
		rc = xs_fail(-EINVAL, "the diff %s does not apply to %s with -p1 or -p0: see %s", o->patch,
			     o->src, log);
	free(log);
	return rc;
}

void xb_tree_free(struct xb_work *w, bool remove)
{
	if (remove && w->dir)
		xb_run((char *const[]){ "rm", "-rf", w->dir, NULL }, NULL, NULL);
	for (size_t i = 0; i < w->nobjs; i++)
		free(w->objs[i]);
	free(w->objs);
	free(w->dir);
	free(w->orig);
	free(w->tree);
	free(w->wrapper);
}
