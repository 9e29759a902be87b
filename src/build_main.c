/* SPDX-License-Identifier: MIT */
/*
 * Patch builder pipeline (`xsplice build`), top to bottom: build the original
 * tree, patch and rebuild it, diff every object the rebuild compiled, check
 * the replaced functions against the running binary, emit and validate one
 * payload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "error.h"
#include "objects.h"

struct run {
	const struct xb_opts *o;
	struct xb_work w;
	struct xb_pair *pairs;
	size_t npairs;
	struct xs_build_id target;
	long long ms[5]; /* orig build, patched build, diff, check, emit */
};

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

		p->rel_path = strdup(r->w.objs[i]);
		if (p->rel_path && asprintf(&a, "%s/%s", r->w.orig, p->rel_path) >= 0 &&
		    asprintf(&b, "%s/%s", r->w.patched, p->rel_path) >= 0) {
			if (access(a, F_OK))
				rc = xs_fail(-EOPNOTSUPP, "%s: a new object (new source file): not supported yet; put new code in an existing file",
					     p->rel_path);
			else
				rc = xb_obj_open(a, &p->orig);
			if (!rc)
				rc = xb_obj_open(b, &p->patched);
		}
		free(a);
		free(b);
		if (rc)
			return rc;
	}
	return 0;
}

static int diff_all(struct run *r)
{
	size_t changed = 0;

	for (size_t i = 0; i < r->npairs; i++) {
		int rc = xb_diff(&r->pairs[i]);

		if (rc)
			return rc;
		changed += r->pairs[i].nchanged;
	}
	if (!changed)
		return xs_fail(-ENODATA, "the diff %s changes no function of %s: nothing to patch",
			       r->o->patch, r->o->src);
	return 0;
}

/* One partial object per changed object, linked into one payload with its
 * own build-id, validated as the loader will before it is written out. */
static int emit_all(struct run *r)
{
	char *argv[r->npairs + 8], *out = NULL;
	struct xs_payload *check = NULL;
	size_t n = 0, k = 0;
	int rc = 0;

	argv[n++] = "ld";
	argv[n++] = "-r";
	argv[n++] = "--build-id=sha1";
	argv[n++] = "-o";
	if (asprintf(&out, "%s/payload.xsp", r->w.dir) < 0)
		return -ENOMEM;
	argv[n++] = out;
	for (size_t i = 0; i < r->npairs && !rc; i++) {
		if (!r->pairs[i].nchanged && !r->pairs[i].nnew)
			continue;
		if (asprintf(&argv[n], "%s/part%zu.o", r->w.dir, k++) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc = xb_emit_object(&r->pairs[i], argv[n], n == 5 ? &r->target : NULL);
		n++;
	}
	argv[n] = NULL;
	if (!rc && xb_run(argv, NULL, NULL))
		rc = xs_fail(-EINVAL, "ld -r failed on the partial payloads in %s", r->w.dir);
	if (!rc)
		rc = xs_payload_open(out, &check);
	if (!rc && xb_run((char *const[]){ "cp", out, (char *)r->o->out, NULL }, NULL, NULL))
		rc = xs_fail(-EIO, "cannot write %s", r->o->out);
	xs_payload_free(check);
	for (size_t i = 5; i < n; i++)
		free(argv[i]);
	free(out);
	return rc;
}

static void report(const struct run *r)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];

	printf("%s:", r->o->out);
	for (size_t i = 0; i < r->npairs; i++) {
		const struct xb_obj *p = r->pairs[i].patched;

		for (size_t k = 1; k < p->nsec; k++)
			if (p->sec[k].state != XB_SAME && !p->sec[k].parent)
				printf(" %s%s", p->sec[k].state == XB_NEW ? "+" : "",
				       p->sym[p->sec[k].func].name);
	}
	xs_hex(r->target.bytes, r->target.len, hex);
	printf(" (for build-id %s)\n", hex);
	printf("timings: orig build %lld ms, patched build %lld ms, diff %lld ms, check %lld ms, emit %lld ms\n",
	       r->ms[0], r->ms[1], r->ms[2], r->ms[3], r->ms[4]);
}

static void free_run(struct run *r, bool remove)
{
	for (size_t i = 0; i < r->npairs; i++) {
		free(r->pairs[i].rel_path);
		xb_obj_free(r->pairs[i].orig);
		xb_obj_free(r->pairs[i].patched);
	}
	free(r->pairs);
	xb_tree_free(&r->w, remove);
}

int xb_build(const struct xb_opts *o)
{
	struct run r = { .o = o };
	long long t = xs_now_ms();
	bool keep_logs;
	int rc;

	rc = xs_file_build_id(o->target, &r.target);
	if (!rc)
		rc = xb_tree_prepare(o, &r.w);
	if (!rc)
		rc = xb_tree_build(o, &r.w, false);
	r.ms[0] = xs_now_ms() - t;
	t = xs_now_ms();
	if (!rc)
		rc = xb_tree_patch(o, &r.w);
	if (!rc)
		rc = xb_tree_build(o, &r.w, true);
	r.ms[1] = xs_now_ms() - t;
	keep_logs = rc != 0; /* the message names a log in the work directory */
	t = xs_now_ms();
	if (!rc)
		rc = open_pairs(&r);
	if (!rc)
		rc = diff_all(&r);
	r.ms[2] = xs_now_ms() - t;
	t = xs_now_ms();
	if (!rc)
		rc = xb_match_target(o->target, r.pairs, r.npairs);
	r.ms[3] = xs_now_ms() - t;
	t = xs_now_ms();
	if (!rc)
		rc = emit_all(&r);
	r.ms[4] = xs_now_ms() - t;
	if (!rc)
		report(&r);
	if (o->keep || keep_logs)
		xs_debug("build: work directory %s kept", r.w.dir ? r.w.dir : "-");
	free_run(&r, !o->keep && !keep_logs);
	return rc;
}
