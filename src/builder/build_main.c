/* SPDX-License-Identifier: MIT */
/*
 * Patch builder pipeline (`xsplice build`), top to bottom: build the original
 * tree, patch and rebuild it, diff every object the rebuild compiled, check
 * the replaced functions against the running binary or shared library that
 * holds them, emit and validate one payload per such object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/build.h"
#include "builder/build_cache.h"
#include "symbols/coroutine_list.h"
#include "common/error.h"
#include "state/state_check.h"
#include "symbols/objects.h"

struct run {
	const struct xb_opts *o;
	struct xb_work w;
	struct xb_pair *pairs;
	size_t npairs;
	struct xb_lines *lines;
	struct xs_build_id target;
	size_t ngroups;  /* payloads emitted so far */
	long long ms[5]; /* orig build, patched build, diff, check, emit */
	bool mismatch;   /* the orig build does not match the target */
};

/* A refusal about the object obj names it and the program that links it. */
static int name_object(const struct run *r, const char *obj, int rc)
{
	const char *prog = NULL;
	char *msg = strdup(xs_error_message()), *rest;
	size_t ol = strlen(obj);

	for (size_t i = 0; r->w.progs && i < r->w.nobjs; i++)
		if (!strcmp(r->w.objs[i], obj))
			prog = r->w.progs[i];
	if (!msg)
		return rc;
	rest = !strncmp(msg, obj, ol) && msg[ol] == ':' ? msg + ol + 1 : NULL;
	if (rest && prog)
		xs_fail_override(rc, "%s (linked into %s):%s", obj, prog, rest);
	else if (!rest && msg[0])
		xs_fail_override(rc, "%s%s%s%s: %s", obj, prog ? " (linked into " : "",
		                 prog ? prog : "", prog ? ")" : "", msg);
	free(msg);
	return rc;
}

/* A refusal about the functions of several objects: the object whose
 * source file it names "(file.c)". */
static int name_of_file(const struct run *r, const struct xb_pair *sel, size_t k, int rc)
{
	for (size_t i = 0; i < k; i++) {
		char *file = NULL;
		bool named = asprintf(&file, "(%s)", sel[i].orig->file) >= 0 &&
		             strstr(xs_error_message(), file);

		free(file);
		if (named)
			return name_object(r, sel[i].rel_path, rc);
	}
	return rc;
}

/* An orig/patched object pair for every object the patched build compiled. */
static int open_pairs(struct run *r)
{
	r->pairs = calloc(r->w.nobjs + 1, sizeof(*r->pairs));
	if (!r->pairs)
		return -ENOMEM;
	for (size_t i = 0; i < r->w.nobjs; i++) {
		struct xb_pair *p = &r->pairs[r->npairs++];
		char *a = NULL, *b = NULL;
		int rc = -ENOMEM;

		p->lines = r->lines;
		p->rel_path = strdup(r->w.objs[i]);
		if (p->rel_path && asprintf(&a, "%s/%s", r->w.orig, p->rel_path) >= 0 &&
		    asprintf(&b, "%s/%s", r->w.tree, p->rel_path) >= 0) {
			if (access(a, F_OK))
				rc = xs_fail(
				    -EOPNOTSUPP,
				    "%s: a new object (new source file): not supported yet; put new code in an existing file",
				    p->rel_path);
			else
				rc = xb_obj_open(a, &p->orig);
			if (!rc)
				rc = xb_obj_open(b, &p->patched);
			/* gcc's intermediate code, not what runs: "changes no
			 * function" would read as "no live patch needed" */
			if (!rc && (xb_obj_lto(p->orig) || xb_obj_lto(p->patched)))
				rc = xs_fail(
				    -EOPNOTSUPP,
				    "built with -flto: LTO objects hold no machine code to compare; give --build the flags of the running binary, which must be built without LTO (CFLAGS=-fno-lto) to be live-patched");
		}
		free(a);
		free(b);
		if (rc)
			return name_object(r, p->rel_path, rc);
	}
	return 0;
}

static int diff_all(struct run *r)
{
	size_t changed = 0, skipped = 0;
	int rc;

	for (size_t i = 0; i < r->npairs; i++) {
		rc = xb_diff(&r->pairs[i]);
		if (rc)
			return name_object(r, r->pairs[i].rel_path, rc);
	}
	rc = xb_link_assign(&r->w, r->pairs, r->npairs); /* main is the executable's */
	if (!rc)
		rc = xb_skip_startup(r->pairs, r->npairs, r->o);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->npairs; i++) {
		changed += r->pairs[i].nchanged;
		skipped += r->pairs[i].nskipped;
	}
	if (!changed && skipped)
		return xs_fail(
		    -ENODATA,
		    "the diff %s changes only functions left out (see the warnings above): nothing to patch",
		    r->o->patch);
	if (!changed && r->w.ignored)
		return xs_fail(
		    -ENODATA,
		    "the diff %s changes no function of %s: nothing to patch (it changes %s, which --target does not link)",
		    r->o->patch, r->o->src, r->w.ignored);
	if (!changed)
		return xs_fail(-ENODATA, "the diff %s changes no function of %s: nothing to patch",
		               r->o->patch, r->o->src);
	return 0;
}

/* The changed pairs of one linked output (lib NULL: the executable). */
static size_t group(const struct run *r, const char *lib, struct xb_pair *sel)
{
	size_t k = 0;

	for (size_t i = 0; i < r->npairs; i++) {
		const struct xb_pair *p = &r->pairs[i];

		if ((p->nchanged || p->nnew) && (lib ? p->lib && !strcmp(p->lib, lib) : !p->lib))
			sel[k++] = *p;
	}
	return k;
}

/* One partial object per changed object of the group, linked into one
 * payload with its own build-id, validated as the loader will before it is
 * written to out. */
static int emit_group(struct run *r, struct xb_pair *sel, size_t k, const char *out,
                      const struct xs_build_id *id)
{
	char *argv[k + 8], *tmp = NULL;
	struct xs_payload *check = NULL;
	size_t n = 0;
	int rc = 0;

	argv[n++] = "ld";
	argv[n++] = "-r";
	argv[n++] = "--build-id=sha1";
	argv[n++] = "-o";
	if (asprintf(&tmp, "%s/payload%zu.xsp", r->w.dir, r->ngroups) < 0)
		return -ENOMEM;
	argv[n++] = tmp;
	for (size_t i = 0; i < k && !rc; i++) {
		if (asprintf(&argv[n], "%s/part%zu-%zu.o", r->w.dir, r->ngroups, i) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc = xb_emit_object(&sel[i], argv[n], n == 5 ? id : NULL);
		if (rc)
			rc = name_object(r, sel[i].rel_path, rc);
		n++;
	}
	argv[n] = NULL;
	if (!rc && xb_run(argv, NULL, NULL))
		rc = xs_fail(-EINVAL, "ld -r failed on the partial payloads (--keep keeps them)");
	if (!rc)
		rc = xs_payload_open(tmp, &check);
	if (!rc)
		rc = xs_check_output("output", out);
	if (!rc && xb_run((char *const[]){ "cp", tmp, (char *)out, NULL }, NULL, NULL))
		rc = xs_fail(-EIO, "cannot write %s", out);
	xs_payload_free(check);
	for (size_t i = 5; i < n; i++)
		free(argv[i]);
	free(tmp);
	return rc;
}

/* -o fix.xsp: the executable's payload is fix.xsp, libcalc.so's is
 * fix-libcalc.so.xsp; `load` takes the id from the file name, so it must
 * be a valid payload name. */
static int out_name(const struct run *r, const char *lib, char **out)
{
	const char *o = r->o->out, *base, *slash;
	size_t stem = strlen(o), idlen;
	char *id;
	int rc;

	if (stem > 4 && !strcmp(o + stem - 4, ".xsp"))
		stem -= 4;
	if (!lib)
		*out = strdup(o);
	else if (asprintf(out, "%.*s-%s.xsp", (int)stem, o,
	                  strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib) < 0)
		*out = NULL;
	if (!*out)
		return -ENOMEM;
	slash = strrchr(*out, '/');
	base = slash ? slash + 1 : *out;
	idlen = strlen(base);
	if (idlen > 4 && !strcmp(base + idlen - 4, ".xsp"))
		idlen -= 4;
	id = strndup(base, idlen);
	rc = id ? xs_id_check(id) : -ENOMEM;
	free(id);
	return rc;
}

static void report_group(const struct xb_pair *sel, size_t k, const char *out, const char *object,
                         const struct xs_build_id *id)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];

	printf("%s:", out);
	for (size_t i = 0; i < k; i++) {
		const struct xb_obj *p = sel[i].patched;

		for (size_t s = 1; s < p->nsec; s++)
			if (p->sec[s].state != XB_SAME && !p->sec[s].parent)
				printf(" %s%s", p->sec[s].state == XB_NEW ? "+" : "",
				       p->sym[p->sec[s].func].name);
	}
	xs_hex(id->bytes, id->len, hex);
	printf(" (for %s, build-id %s)\n", object, hex);
}

/* Check and emit the payload of one linked output: the executable is
 * --target; a library is the one in --src (the build the process loads). */
static int do_group(struct run *r, const char *lib)
{
	struct xb_pair *sel = calloc(r->npairs + 1, sizeof(*sel));
	struct xs_build_id libid, *id = &r->target;
	char *path = NULL, *out = NULL;
	size_t k;
	long long t = xs_now_ms();
	int rc = -ENOMEM;

	if (!sel)
		return -ENOMEM;
	k = group(r, lib, sel);
	if (!k) {
		free(sel);
		return 0;
	}
	if (lib && asprintf(&path, "%s/%s", r->o->src, lib) < 0)
		goto done;
	rc = lib ? xs_file_build_id(path, &libid) : 0;
	if (lib && rc == -ENOENT)
		rc = xs_fail(
		    rc,
		    "%s: the shared library with the changed code of %s is not in %s: build the project there first",
		    lib, sel[0].rel_path, r->o->src);
	if (lib)
		id = &libid;
	if (!rc) {
		rc = xb_match_target(lib ? path : r->o->target, sel, k);
		r->mismatch = rc != 0;
		if (rc)
			rc = name_of_file(r, sel, k, rc);
	}
	for (size_t i = 0; i < k && !rc; i++)
		rc = xb_got_use(&sel[i]);
	r->ms[3] += xs_now_ms() - t;
	t = xs_now_ms();
	if (!rc)
		rc = out_name(r, lib, &out);
	if (!rc)
		rc = emit_group(r, sel, k, out, id);
	r->ms[4] += xs_now_ms() - t;
	r->ngroups++;
	if (!rc)
		report_group(sel, k, out, lib ? path : r->o->target, id);
done:
	free(sel);
	free(path);
	free(out);
	return rc;
}

/* The executable's payload, then one per shared library, in link order of
 * the first changed object of each. */
static int emit_all(struct run *r)
{
	int rc = 0;

	/* Every payload's name first: a refusal must leave no file behind. */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		if (pass)
			rc = do_group(r, NULL);
		for (size_t i = 0; i < r->npairs && !rc; i++) {
			const char *lib = r->pairs[i].lib;
			char *out = NULL;
			bool seen = false;

			for (size_t j = 0; lib && j < i; j++)
				seen |= r->pairs[j].lib && !strcmp(r->pairs[j].lib, lib);
			if (!lib || seen)
				continue;
			rc = pass ? do_group(r, lib) : out_name(r, lib, &out);
			free(out);
		}
	}
	return rc;
}

static void report(const struct run *r)
{
	printf(
	    "timings: orig build %lld ms, patched build %lld ms, diff %lld ms, check %lld ms, emit %lld ms\n",
	    r->ms[0], r->ms[1], r->ms[2], r->ms[3], r->ms[4]);
}

/* One line on stderr as each step ends, so a long build shows where it is
 * (the error line, if any, comes last and starts with "xsplice: "). */
static void phase(const char *what, long long ms)
{
	fprintf(stderr, "build: %s (%.2f s)\n", what, ms / 1000.0);
}

/* The work directory is gone after a refusal (unless --keep): the message
 * names the files of the two trees relative to the source tree instead. */
static void unwork_message(const struct xb_work *w, int rc)
{
	const char *const dirs[] = { w->tree, w->orig };
	char msg[512], *at;
	bool changed = false;

	snprintf(msg, sizeof(msg), "%s", xs_error_message());
	for (size_t d = 0; d < XS_ARRAY_SIZE(dirs); d++) {
		size_t len = dirs[d] ? strlen(dirs[d]) : 0;

		while (len && (at = strstr(msg, dirs[d])) && (at[len] == '/' || !at[len])) {
			memmove(at, at + len + (at[len] == '/'),
			        strlen(at + len + (at[len] == '/')) + 1);
			changed = true;
		}
	}
	if (changed)
		xs_fail_override(rc, "%s", msg);
}

static void free_run(struct run *r, bool remove)
{
	for (size_t i = 0; i < r->npairs; i++) {
		free(r->pairs[i].rel_path);
		free(r->pairs[i].lib);
		xb_obj_free(r->pairs[i].orig);
		xb_obj_free(r->pairs[i].patched);
		xb_obj_free(r->pairs[i].got);
	}
	free(r->pairs);
	xb_lines_free(r->lines);
	xb_tree_free(&r->w, remove);
}

/* One build, with c's entry (hit or miss) or without a cache (c NULL). */
static int build_once(const struct xb_opts *o, const struct xs_build_id *target, struct xb_cache *c,
                      bool *mismatch)
{
	struct run r = { .o = o, .target = *target };
	long long t = xs_now_ms(), t0 = t;
	int rc;

	r.w.base = c ? xb_cache_dir(c) : NULL;
	r.w.have_orig = xb_cache_hit(c);
	rc = xb_tree_prepare(o, &r.w);
	/* a cache hit: tree/ is the cached original build */
	if (!rc && r.w.have_orig)
		rc = xb_cache_restore(c, &r.w);
	if (!rc)
		phase(r.w.have_orig ? "copy of the cached original build" :
		      r.w.from_git  ? "copy of the source tree's git files, not the ignored ones" :
		                      "copy of the source tree",
		      xs_now_ms() - t);
	t = xs_now_ms();
	/* before the long original build */
	if (!rc)
		rc = xb_tree_check_patch(o, &r.w);
	if (!rc)
		phase("diff applies", xs_now_ms() - t);
	t = xs_now_ms();
	if (!rc && !r.w.have_orig) {
		rc = xb_tree_build(o, &r.w, false);
		if (!rc)
			phase("original build", xs_now_ms() - t);
	}
	r.ms[0] = xs_now_ms() - t0;
	t = xs_now_ms();
	if (!rc)
		rc = xb_tree_patch(o, &r.w);
	if (!rc && c)
		xb_cache_store(c, &r.w); /* the patch step snapshot orig/ first */
	if (!rc)
		rc = xb_tree_build(o, &r.w, true);
	r.ms[1] = xs_now_ms() - t;
	if (!rc)
		phase("patched build", r.ms[1]);
	t = xs_now_ms();
	if (!rc)
		rc = xb_link_filter(o, &r.w);
	if (!rc)
		rc = xb_lines_load(o->patch, &r.w, &r.lines);
	if (!rc)
		rc = open_pairs(&r);
	if (!rc)
		rc = diff_all(&r); /* assigns each object its library */
	for (size_t i = 0; i < r.npairs && !rc; i++)
		rc = xb_got_open(&r.pairs[i], r.w.tree);
	if (!rc && (rc = xb_check_layouts(r.pairs, r.npairs, o->allow_layout)))
		rc = name_of_file(&r, r.pairs, r.npairs, rc);
	r.ms[2] = xs_now_ms() - t;
	if (!rc)
		phase("diff", r.ms[2]);
	if (!rc)
		rc = emit_all(&r); /* times check (ms[3]) and emit (ms[4]) */
	if (!rc) {
		phase("match", r.ms[3]);
		phase("emit", r.ms[4]);
		report(&r);
	}
	if (rc && !o->keep)
		unwork_message(&r.w, rc);
	if (o->keep && r.w.dir)
		fprintf(stderr, "build: work directory %s kept\n", r.w.dir);
	*mismatch = r.mismatch;
	free_run(&r, !o->keep);
	return rc;
}

int xb_build(const struct xb_opts *o)
{
	struct xb_cache *c = NULL;
	struct xs_build_id target;
	char *cc = getenv("CC") ? strdup(getenv("CC")) : NULL;
	bool mismatch = false;
	int fd, rc;

	if (getenv("CC") && !cc)
		return -ENOMEM;
	/* patch(1) would block on a FIFO: refuse anything but a file, first */
	rc = xs_open_file("patch", o->patch, &fd, NULL);
	if (!rc)
		close(fd);
	if (!rc)
		rc = xs_file_build_id(o->target, &target);
	if (!rc)
		xs_coroutines_warn_file(o->target);
	if (!rc && o->cache)
		rc = xb_cache_open(o, &target, &c);
	if (!rc)
		rc = build_once(o, &target, c, &mismatch);
	/* The target does not match the cached original build: it may be
	 * stale or damaged, so it is never trusted: once more from scratch,
	 * unless a build from scratch already failed that very way. */
	if (rc && mismatch && xb_cache_hit(c) && !xb_cache_mismatch_known(c, xs_error_message())) {
		xs_note("cache: %s: %s: building from scratch", xb_cache_dir(c),
		        xs_error_message());
		xs_error_clear();
		xb_cache_drop(c);
		/* the build set CC to its wrapper: the compiler is the caller's */
		if (cc)
			setenv("CC", cc, 1);
		else
			unsetenv("CC");
		rc = build_once(o, &target, c, &mismatch);
	}
	if (rc && mismatch && c)
		xb_cache_mismatch_note(c, xs_error_message());
	xb_cache_close(c, o->keep);
	free(cc);
	return rc;
}
