/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: the two trees. Copy the project to tree/ (build_copy.c),
 * check that the diff applies, build it through a compiler wrapper that adds
 * one section per function and per variable and logs every compile and link;
 * snapshot tree/ to orig/, apply the diff in tree/, rebuild there (same
 * absolute path: CMake's cache stays valid): what the wrapper logs the second
 * time are the objects the diff changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/build.h"
#include "common/error.h"

/* Adds the section flags after the project's own (last wins) and xsplice's
 * include directory after the project's (for <xsplice/shadow.h>), logs
 * "cwd<TAB>object" for every compile (-c), runs the real compiler. A command
 * that compiles and links at once (cc -o app app.c) is split: each source to
 * an object of its own (SRC-OUT.xs.o, kept, logged), then the link of those.
 * Every link is logged as "cwd<TAB>output<TAB>1 if -shared<TAB>inputs...". */
const char xb_wrapper_text[] =
    "#!/bin/sh\n"
    "# written by xsplice build: one section per function and variable, logged\n"
    "real=${XSPLICE_REAL_CC:-gcc}\n"
    "out= prev= compile=0 other=0 src= shared=0 ins=\n"
    "for a in \"$@\"; do\n"
    "\tcase \"$prev\" in -o) out=$a ;; *) case \"$a\" in *.o|*.a) ins=\"$ins\t$a\" ;; *.c) src=$a ;; esac ;; esac\n"
    "\tcase \"$a\" in -c) compile=1 ;; -S|-E|-M|-MM|-x*) other=1 ;; -shared) shared=1 ;; esac\n"
    "\tprev=$a\n"
    "done\n"
    "# a probe of the compiler: not logged\n"
    "[ \"$out\" != /dev/null ] || XSPLICE_BUILD_LOG= XSPLICE_LINK_LOG=\n"
    "objof() { xs_obj=${1%.c}-${out##*/}.xs.o; }\n"
    "# source $1 of the compile-and-link command $2...: its flags, no inputs, -c\n"
    "compile_one() {\n"
    "\txs_src=$1 xs_n=$(($# - 1)) xs_skip=0\n"
    "\tobjof \"$xs_src\"\n"
    "\tshift\n"
    "\twhile [ $xs_n -gt 0 ]; do\n"
    "\t\txs_a=$1\n"
    "\t\tshift\n"
    "\t\txs_n=$((xs_n - 1))\n"
    "\t\tcase \"$xs_skip$xs_a\" in\n"
    "\t\t1*) xs_skip=0 ;;\n"
    "\t\t0-o) xs_skip=1 ;;\n"
    "\t\t0*.c | 0*.o | 0*.a | 0*.so | 0*.so.* | 0-l*) ;;\n"
    "\t\t*) set -- \"$@\" \"$xs_a\" ;;\n"
    "\t\tesac\n"
    "\tdone\n"
    "\t$real \"$@\" -c \"$xs_src\" -o \"$xs_obj\" -ffunction-sections -fdata-sections \\\n"
    "\t\t${XSPLICE_INCLUDE:+-idirafter \"$XSPLICE_INCLUDE\"} || exit\n"
    "\tprintf '%s\\t%s\\n' \"$PWD\" \"$xs_obj\" >>\"$XSPLICE_BUILD_LOG\"\n"
    "\t[ -z \"$XSPLICE_GOT_CMD\" ] || printf '%s\\0' \"$PWD\" \"$real\" \"$@\" -c \"$xs_src\" \\\n"
    "\t\t${XSPLICE_INCLUDE:+-idirafter \"$XSPLICE_INCLUDE\"} >\"$xs_obj.xsgot.cmd\"\n"
    "}\n"
    "if [ $compile$other = 00 ] && [ -n \"$src\" ] && [ -n \"$out\" ] && [ -n \"$XSPLICE_BUILD_LOG\" ]; then\n"
    "\tprev=\n"
    "\tfor a in \"$@\"; do\n"
    "\t\tcase \"$prev$a\" in -o*) ;; *.c) compile_one \"$a\" \"$@\" ;; esac\n"
    "\t\tprev=$a\n"
    "\tdone\n"
    "\tn=$# prev= ins=\n"
    "\twhile [ $n -gt 0 ]; do\n"
    "\t\ta=$1\n"
    "\t\tshift\n"
    "\t\tn=$((n - 1))\n"
    "\t\tcase \"$prev$a\" in -o*) ;; *.c) objof \"$a\"; a=$xs_obj ;; esac\n"
    "\t\tcase \"$prev$a\" in -o*) ;; *.o | *.a) ins=\"$ins\t$a\" ;; esac\n"
    "\t\tset -- \"$@\" \"$a\"\n"
    "\t\tprev=$a\n"
    "\tdone\n"
    "fi\n"
    "if [ $compile = 1 ] && [ -n \"$XSPLICE_BUILD_LOG\" ] && [ -n \"$out$src\" ]; then\n"
    "\t[ -n \"$out\" ] || { out=${src##*/}; out=${out%.c}.o; }\n"
    "\tprintf '%s\\t%s\\n' \"$PWD\" \"$out\" >>\"$XSPLICE_BUILD_LOG\"\n"
    "fi\n"
    "if [ $compile$other = 00 ] && [ -n \"$out\" ] && [ -n \"$XSPLICE_LINK_LOG\" ]; then\n"
    "\tprintf '%s\\t%s\\t%s%s\\n' \"$PWD\" \"$out\" $shared \"$ins\" >>\"$XSPLICE_LINK_LOG\"\n"
    "fi\n"
    "# the patched build: how it compiled OUT (directory, compiler, arguments),\n"
    "# should the payload need OUT built with external data through the GOT\n"
    "if [ $compile = 1 ] && [ -n \"$XSPLICE_GOT_CMD\" ]; then\n"
    "\t[ -n \"$out\" ] || { out=${src##*/}; out=${out%.c}.o; }\n"
    "\tprintf '%s\\0' \"$PWD\" \"$real\" \"$@\" \\\n"
    "\t\t${XSPLICE_INCLUDE:+-idirafter \"$XSPLICE_INCLUDE\"} >\"$out.xsgot.cmd\"\n"
    "fi\n"
    "exec $real \"$@\" -ffunction-sections -fdata-sections \\\n"
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

static int write_wrapper(struct xb_work *w)
{
	FILE *f = fopen(w->wrapper, "we");

	if (!f)
		return xs_fail(-errno, "cannot create %s", w->wrapper);
	fputs(xb_wrapper_text, f);
	if (fclose(f) || chmod(w->wrapper, 0755))
		return xs_fail(-errno, "cannot write %s", w->wrapper);
	return 0;
}

int xb_tree_prepare(const struct xb_opts *o, struct xb_work *w)
{
	char src[PATH_MAX];
	const char *base;
	int rc;

	if (!realpath(o->src, src))
		return xs_fail(-errno, "source tree %s", o->src);
	if (o->work) {
		if (mkdir(o->work, 0700) && errno != EEXIST)
			return xs_fail(-errno, "cannot create work directory %s", o->work);
		w->dir = realpath(o->work, NULL);
	} else {
		const char *tmp = getenv("TMPDIR");
		char *tmpl = NULL;

		if (asprintf(&tmpl, "%s/xsplice-build.XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0)
			return -ENOMEM;
		/* the real path: the shell's $PWD in the logs is one */
		if (mkdtemp(tmpl) && !(w->dir = realpath(tmpl, NULL)))
			rmdir(tmpl);
		rc = w->dir ? 0 : xs_fail(-errno, "cannot create a work directory %s", tmpl);
		free(tmpl);
		if (rc)
			return rc;
	}
	if (!w->dir)
		return xs_fail(-errno, "cannot create a work directory");
	base = w->base ? w->base : w->dir;
	w->orig = join(base, "orig");
	w->tree = join(base, "tree");
	w->wrapper = join(base, "cc-wrapper");
	if (!w->orig || !w->tree || !w->wrapper)
		return -ENOMEM;
	rc = write_wrapper(w);
	if (rc)
		return rc;
	/* The wrapper stands in for the compiler the environment names. */
	if (getenv("CC") && !getenv("XSPLICE_REAL_CC"))
		setenv("XSPLICE_REAL_CC", getenv("CC"), 1);
	if (w->have_orig)
		return 0; /* the cache makes tree/ from its orig/ */
	xb_run((char *const[]){ "rm", "-rf", w->orig, w->tree, NULL }, NULL, NULL);
	rc = xb_copy_src(src, w);
	if (rc)
		return xs_fail(rc, "cannot copy %s to the work directory", o->src);
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
		} else if (!rel && access(obj, F_OK)) {
			xs_debug("build: %s, compiled out of the tree, is gone: a probe", obj);
		} else if (!rel) {
			rc = xs_fail(
			    -EINVAL,
			    "the build wrote the object %s outside the copy of the source tree",
			    obj);
		} else {
			rc = -ENOMEM;
		}
		free(obj);
	}
	fclose(f);
	return rc;
}

/* The line of a build or patch log that says why it failed: the first
 * compiler, linker or make error, else the last line. */
static void log_reason(const char *log, char *buf, size_t len)
{
	static const char *const keys[] = {
		"error:", "undefined reference", "cannot find",  "No rule to make", "No such file",
		"FAILED", "malformed",           "Only garbage", "can't find file"
	};
	FILE *f = fopen(log, "re");
	char line[1024];
	bool found = false;

	buf[0] = '\0';
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *l = line + strspn(line, " \t");

		l[strcspn(l, "\n")] = '\0';
		for (size_t i = 0; i < XS_ARRAY_SIZE(keys) && !found; i++)
			found = strstr(l, keys[i]) && strncmp(l, "collect2:", 9);
		if (found || (l[0] && strncmp(l, "collect2:", 9)))
			snprintf(buf, len, "%s", l);
	}
	if (f)
		fclose(f);
}

/* What the failure message adds after the log's line: where that log is,
 * and what to do about a tree that was built before or copied from git. */
static void build_hint(const struct xb_opts *o, const struct xb_work *w, bool patched,
                       const char *out, char *buf, size_t len)
{
	int n = 0;

	if (!patched && w->from_git)
		n = snprintf(
		    buf, len,
		    "; the copy of %s holds its git files without the ignored ones: --build must generate the rest (e.g. './configure && make')",
		    o->src);
	else if (!patched && w->built)
		n = snprintf(
		    buf, len,
		    "; %s was built before (it held %s)%s%s%s: start from a clean tree ('make distclean' in a copy, a fresh unpack or a git checkout)",
		    o->src, w->built, w->stamp ? " and leftovers such as " : "",
		    w->stamp ? w->stamp : "", w->stamp ? " make the build skip steps" : "");
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, o->keep ? " (log: %s)" : " (--keep keeps the log)", out);
}

int xb_tree_build(const struct xb_opts *o, struct xb_work *w, bool patched)
{
	const char *tree = w->tree, *what = patched ? "patched" : "orig", *mf = getenv("MAKEFLAGS");
	char *log = NULL, *out = NULL, *links = NULL, *saved = mf ? strdup(mf) : NULL,
	     *flags = NULL;
	char reason[160], hint[320];
	size_t n;
	int rc = -ENOMEM;

	if (asprintf(&log, "%s/%s.compiles", w->dir, what) < 0 ||
	    asprintf(&out, "%s/%s.build.log", w->dir, what) < 0 ||
	    asprintf(&links, "%s/%s.links", w->dir, what) < 0 || (mf && !saved))
		goto done;
	/* Every make the command runs takes CC from MAKEFLAGS as if from its
	 * command line, over the Makefile's own (sub-makes too); other build
	 * commands read it from the environment. A space in the path is
	 * escaped for make's parser. */
	flags = malloc((mf ? strlen(mf) : 0) + 2 * strlen(w->wrapper) + 8);
	if (!flags)
		goto done;
	n = (size_t)sprintf(flags, "%s%sCC=", mf ? mf : "", mf && mf[0] ? " " : "");
	for (const char *c = w->wrapper; *c; c++) {
		if (*c == ' ' || *c == '\\')
			flags[n++] = '\\';
		flags[n++] = *c;
	}
	flags[n] = '\0';
	unlink(log);
	unlink(out);
	unlink(links);
	setenv("XSPLICE_LINK_LOG", links, 1);
	setenv("XSPLICE_BUILD_LOG", log, 1);
	setenv("CC", w->wrapper, 1);
	setenv("MAKEFLAGS", flags, 1);
	if (o->include) /* the patched code may use <xsplice/shadow.h> */
		setenv("XSPLICE_INCLUDE", o->include, 1);
	if (patched)
		setenv("XSPLICE_GOT_CMD", "1", 1);
	rc = xb_run((char *const[]){ "sh", "-c", (char *)o->build, NULL }, tree, out);
	unsetenv("XSPLICE_BUILD_LOG");
	unsetenv("XSPLICE_LINK_LOG");
	unsetenv("XSPLICE_GOT_CMD");
	if (saved)
		setenv("MAKEFLAGS", saved, 1);
	else
		unsetenv("MAKEFLAGS");
	if (rc) {
		log_reason(out, reason, sizeof(reason));
		build_hint(o, w, patched, out, hint, sizeof(hint));
		rc = xs_fail(-EINVAL, "building the %s tree failed (%.80s): %s%s", what, o->build,
		             reason[0] ? reason : "no output", hint);
		goto done;
	}
	/* Nothing logged at all: the build did not go through our CC. */
	if (!patched && access(log, F_OK))
		rc = xs_fail(
		    -EINVAL,
		    "building the orig tree with '%s' compiled nothing through $CC: the build must use $(CC) (a CC= in --build or a plain 'gcc' bypasses it; set the compiler with CC in the environment)",
		    o->build);
	if (patched)
		rc = read_log(w, log, tree);
	if (patched && !rc && !w->nobjs)
		rc = xs_fail(
		    -ENODATA,
		    "the patched build compiled nothing: the diff %s touches no source file the build uses",
		    o->patch);
done:
	free(log);
	free(out);
	free(links);
	free(saved);
	free(flags);
	return rc;
}

static const char *const levels[] = { "-p1", "-p0" };

int xb_tree_check_patch(const struct xb_opts *o, struct xb_work *w)
{
	char diff[PATH_MAX], *log = NULL, reason[160];
	int rc = -ENOENT;

	if (!realpath(o->patch, diff))
		return xs_fail(-errno, "patch %s", o->patch);
	if (asprintf(&log, "%s/patch.log", w->dir) < 0)
		return -ENOMEM;
	/* A dry run on the fresh copy, before the long build: a half-applied
	 * diff at -p1 would also spoil the -p0 try. */
	for (size_t i = 0; i < XS_ARRAY_SIZE(levels) && rc; i++) {
		rc = xb_run((char *const[]){ "patch", (char *)levels[i], "--batch", "--forward",
		                             "--dry-run", "-s", "-i", diff, NULL },
		            w->tree, log);
		if (!rc)
			w->plevel = levels[i];
	}
	if (rc) {
		log_reason(log, reason, sizeof(reason));
		rc = xs_fail(-EINVAL, "the diff %s does not apply to %s with -p1 or -p0: %s",
		             o->patch, o->src, reason[0] ? reason : "patch says nothing");
	}
	free(log);
	return rc;
}

int xb_tree_patch(const struct xb_opts *o, struct xb_work *w)
{
	char diff[PATH_MAX], *log = NULL;
	int rc;

	if (!realpath(o->patch, diff))
		return xs_fail(-errno, "patch %s", o->patch);
	/* orig/ keeps the original objects and sources; tree/ is patched and
	 * rebuilt in place, times preserved, so make redoes only the diff's. */
	if (!w->have_orig &&
	    xb_run((char *const[]){ "cp", "-a", w->tree, w->orig, NULL }, NULL, NULL))
		return xs_fail(-EIO, "cannot copy %s to %s", w->tree, w->orig);
	if (asprintf(&log, "%s/patch.log", w->dir) < 0)
		return -ENOMEM;
	rc = xb_run((char *const[]){ "patch", (char *)(w->plevel ? w->plevel : "-p1"), "--batch",
	                             "--forward", "-s", "-i", diff, NULL },
	            w->tree, log);
	if (rc)
		rc = xs_fail(
		    -EINVAL,
		    "the diff %s applied to %s before the original build but not after it (does the build write the files it changes?)",
		    o->patch, o->src);
	free(log);
	return rc;
}

void xb_tree_free(struct xb_work *w, bool remove)
{
	if (remove && w->dir)
		xb_run((char *const[]){ "rm", "-rf", w->dir, NULL }, NULL, NULL);
	for (size_t i = 0; i < w->nobjs; i++) {
		free(w->objs[i]);
		free(w->progs ? w->progs[i] : NULL);
	}
	free(w->objs);
	free(w->progs);
	free(w->dir);
	free(w->orig);
	free(w->tree);
	free(w->wrapper);
	free(w->built);
	free(w->stamp);
	free(w->ignored);
}
