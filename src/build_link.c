/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: which linked output holds each changed object. The compiler
 * wrapper logs every link of the orig build (cwd, output, -shared or not, the
 * objects); an object linked into a shared library is patched in that
 * library, with its own payload, everything else in the executable.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "error.h"

/* realpath of name (relative to cwd unless absolute); NULL if it is gone. */
static char *resolve(const char *cwd, const char *name)
{
	char *joined = NULL, *real;

	if (name[0] == '/')
		return realpath(name, NULL);
	if (asprintf(&joined, "%s/%s", cwd, name) < 0)
		return NULL;
	real = realpath(joined, NULL);
	free(joined);
	return real;
}

/* One log line "cwd\tout\tshared\tobj..." of a -shared link: give its output
 * (relative to the tree) to every pair whose object it links. */
static int assign_line(char *line, const char *tree, struct xb_pair *pairs, size_t n,
		       char *const real[])
{
	char *save = NULL, *cwd = strtok_r(line, "\t", &save), *out = strtok_r(NULL, "\t", &save);
	char *shared = strtok_r(NULL, "\t", &save), *in, *lib;
	size_t tl = strlen(tree);

	if (!cwd || !out || !shared || strcmp(shared, "1"))
		return 0;
	lib = resolve(cwd, out);
	if (!lib)
		return 0;
	while ((in = strtok_r(NULL, "\t", &save))) {
		char *obj = resolve(cwd, in);

		for (size_t i = 0; obj && i < n; i++) {
			if (pairs[i].lib || !real[i] || strcmp(real[i], obj))
				continue;
			if (strncmp(lib, tree, tl) || lib[tl] != '/') {
				free(obj);
				free(lib);
				return xs_fail(-EINVAL, "%s: linked into %s, outside the tree %s",
					       pairs[i].rel_path, out, tree);
			}
			pairs[i].lib = strdup(lib + tl + 1);
			if (!pairs[i].lib) {
				free(obj);
				free(lib);
				return -ENOMEM;
			}
		}
		free(obj);
	}
	free(lib);
	return 0;
}

int xb_link_assign(const struct xb_work *w, struct xb_pair *pairs, size_t n)
{
	/* The log names paths in tree/, where the orig build ran; the objects
	 * and libraries are still there (patched, at the same paths). */
	char *links = NULL, **real = calloc(n + 1, sizeof(*real)), *tree = realpath(w->tree, NULL);
	char line[PATH_MAX * 4];
	FILE *f = NULL;
	int rc = -ENOMEM;

	if (!real || !tree || asprintf(&links, "%s/orig.links", w->dir) < 0)
		goto out;
	rc = 0;
	f = fopen(links, "re");
	if (!f)
		goto out; /* no link through $CC: everything goes to the executable */
	for (size_t i = 0; i < n && !rc; i++) {
		char *p = NULL;

		if (asprintf(&p, "%s/%s", tree, pairs[i].rel_path) < 0)
			rc = -ENOMEM;
		else
			real[i] = realpath(p, NULL);
		free(p);
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		rc = assign_line(line, tree, pairs, n, real);
	}
out:
	if (f)
		fclose(f);
	for (size_t i = 0; real && i < n; i++)
		free(real[i]);
	free(real);
	free(tree);
	free(links);
	return rc;
}
