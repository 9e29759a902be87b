/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: which linked output holds each changed object. The compiler
 * wrapper logs every link of the orig build (cwd, output, -shared or not, the
 * objects); an object linked into a shared library is patched in that
 * library, with its own payload, everything else in the executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/build.h"
#include "common/error.h"

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

/* One logged link: its output, object and archive inputs (realpaths, NULL
 * if gone). */
struct link {
	char *out; /* realpath, else as logged: absolute */
	bool shared, target;
	char **ins;
	size_t nins;
	char **ars;
	size_t nars;
};

static void free_links(struct link *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < l[i].nins; j++)
			free(l[i].ins[j]);
		for (size_t j = 0; j < l[i].nars; j++)
			free(l[i].ars[j]);
		free(l[i].ins);
		free(l[i].ars);
		free(l[i].out);
	}
	free(l);
}

/* The lines of one link log ("cwd\tout\tshared\tinput..."), appended. */
static int read_links(const char *path, struct link **links, size_t *n)
{
	char line[PATH_MAX * 4];
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		char *save = NULL, *cwd, *out, *shared, *in;
		struct link *v = realloc(*links, (*n + 1) * sizeof(*v)), *l;

		if (!v) {
			rc = -ENOMEM;
			break;
		}
		*links = v;
		line[strcspn(line, "\n")] = '\0';
		cwd = strtok_r(line, "\t", &save);
		out = strtok_r(NULL, "\t", &save);
		shared = strtok_r(NULL, "\t", &save);
		if (!cwd || !out || !shared)
			continue;
		l = &v[(*n)++];
		memset(l, 0, sizeof(*l));
		l->shared = !strcmp(shared, "1");
		l->out = resolve(cwd, out);
		if (!l->out && asprintf(&l->out, "%s/%s", out[0] == '/' ? "" : cwd, out) < 0)
			l->out = NULL;
		if (!l->out)
			rc = -ENOMEM;
		while (!rc && (in = strtok_r(NULL, "\t", &save))) {
			size_t len = strlen(in);
			bool ar = len > 2 && !strcmp(in + len - 2, ".a");
			char ***v = ar ? &l->ars : &l->ins;
			size_t *k = ar ? &l->nars : &l->nins;
			char **grown = realloc(*v, (*k + 1) * sizeof(**v));

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			*v = grown;
			grown[(*k)++] = resolve(cwd, in);
		}
	}
	fclose(f);
	return rc;
}

static bool links_in(const struct link *l, const char *obj)
{
	for (size_t j = 0; obj && j < l->nins; j++)
		if (l->ins[j] && !strcmp(l->ins[j], obj))
			return true;
	return false;
}

/* Whether the archive ar holds a copy of the object obj (img, size bytes):
 * a member of its base name with the same bytes. ar(1) does not go through
 * $CC, so the link log names only the archive. 1: yes, 0: no, -1: cannot
 * tell (unreadable, a thin archive). */
static int ar_holds(const char *ar, const char *obj, const unsigned char *img, size_t size)
{
	const char *base = strrchr(obj, '/') ? strrchr(obj, '/') + 1 : obj;
	int fd = ar && img ? open(ar, O_RDONLY | O_CLOEXEC) : -1, res = -1;
	Elf_Cmd cmd = ELF_C_READ_MMAP;
	Elf *a = NULL, *m;

	if (fd >= 0) {
		elf_version(EV_CURRENT);
		a = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	if (a && elf_kind(a) == ELF_K_AR)
		res = 0;
	while (!res && (m = elf_begin(fd, cmd, a))) {
		Elf_Arhdr *h = elf_getarhdr(m);
		size_t len = 0;
		const char *raw = elf_rawfile(m, &len);

		res = h && h->ar_name && !strcmp(h->ar_name, base) && raw && len == size &&
		      !memcmp(raw, img, size);
		cmd = elf_next(m);
		elf_end(m);
	}
	if (a)
		elf_end(a);
	if (fd >= 0)
		close(fd);
	return res;
}

/* Whether link l takes the object obj, directly or in an archive: 1 yes, 0
 * no, -1 cannot tell. */
static int link_takes(const struct link *l, const char *obj, const unsigned char *img, size_t size)
{
	int res = links_in(l, obj);

	for (size_t j = 0; res != 1 && j < l->nars; j++) {
		int in = ar_holds(l->ars[j], obj, img, size);

		res = in ? in : res;
	}
	return res;
}

/* Mark the link of --target: the output at the target's path in the tree
 * (--target inside --src), else the executables of its base name; then
 * every link whose output goes into a marked one (ld -r, $(CC) -r). */
static bool mark_target(const struct xb_opts *o, const char *tree, struct link *l, size_t n)
{
	char *t = realpath(o->target, NULL), *s = realpath(o->src, NULL), *rel = NULL, *tbase;
	bool found = false, more = true;

	if (t && s && !strncmp(t, s, strlen(s)) && t[strlen(s)] == '/' &&
	    asprintf(&rel, "%s/%s", tree, t + strlen(s) + 1) < 0)
		rel = NULL;
	for (size_t i = 0; rel && i < n; i++)
		found |= l[i].target = !strcmp(l[i].out, rel);
	tbase = strrchr(o->target, '/') ? strrchr(o->target, '/') + 1 : (char *)o->target;
	for (size_t i = 0; !found && i < n; i++) {
		const char *b = strrchr(l[i].out, '/') ? strrchr(l[i].out, '/') + 1 : l[i].out;

		l[i].target = !l[i].shared && !strcmp(b, tbase);
	}
	for (size_t i = 0; i < n; i++)
		found |= l[i].target;
	while (more) {
		more = false;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; !l[i].target && j < n; j++)
				if (l[j].target && links_in(&l[j], l[i].out))
					more = l[i].target = true;
	}
	free(t);
	free(s);
	free(rel);
	return found;
}

/* An output path for messages: relative to the tree when inside it. */
static const char *shown(const char *out, const char *tree)
{
	size_t tl = strlen(tree);

	return !strncmp(out, tree, tl) && out[tl] == '/' ? out + tl + 1 : out;
}

int xb_link_filter(const struct xb_opts *o, struct xb_work *w)
{
	char *tree = realpath(w->tree, NULL), *links = NULL;
	char **objs = calloc(w->nobjs + 1, sizeof(*objs)),
	     **progs = calloc(w->nobjs + 1, sizeof(*progs));
	struct link *l = NULL;
	size_t nl = 0, kept = 0;
	bool found;
	int rc = -ENOMEM;

	if (!tree || !objs || !progs)
		goto out;
	for (int i = 0; i < 2; i++) {
		free(links);
		links = NULL;
		if (asprintf(&links, "%s/%s.links", w->dir, i ? "patched" : "orig") < 0)
			goto out;
		rc = read_links(links, &l, &nl);
		if (rc)
			goto out;
	}
	found = mark_target(o, tree, l, nl);
	for (size_t i = 0; i < w->nobjs && !rc; i++) {
		const struct link *into = NULL, *other = NULL;
		char *obj = NULL, *real = NULL;
		unsigned char *img = NULL;
		size_t size = 0;
		bool dup = false, gone, unknown = false;

		for (size_t j = 0; j < kept; j++)
			dup |= !strcmp(objs[j], w->objs[i]);
		if (asprintf(&obj, "%s/%s", tree, w->objs[i]) < 0) {
			rc = -ENOMEM;
			break;
		}
		real = realpath(obj, NULL);
		gone = !real;
		/* unreadable here: open_pairs() says why; archives cannot tell */
		if (real && xs_read_file("object", real, 1u << 30, &img, &size)) {
			xs_error_clear();
			img = NULL;
		}
		for (size_t j = 0; !gone && j < nl; j++) {
			int takes = link_takes(&l[j], real, img, size);

			unknown |= takes < 0 && (l[j].target || l[j].shared);
			if (takes <= 0)
				continue;
			if (!into && (l[j].target || l[j].shared))
				into = &l[j];
			else if (!other)
				other = &l[j];
		}
		free(img);
		free(real);
		free(obj);
		/* linked into another program: only when --target is known and
		 * no archive it links could not be read */
		if (!into && other && (!found || unknown))
			into = other;
		if (dup)
			continue;
		if (gone) {
			xs_debug("build: %s, compiled by the build, is gone (a probe): ignored",
			         w->objs[i]);
		} else if (!into && other) {
			xs_debug("build: %s is linked into %s, not into --target %s: ignored",
			         w->objs[i], shown(other->out, tree), o->target);
			if (!w->ignored && asprintf(&w->ignored, "%s (linked into %s)", w->objs[i],
			                            shown(other->out, tree)) < 0)
				w->ignored = NULL;
		} else {
			objs[kept] = strdup(w->objs[i]);
			progs[kept] = into ? strdup(shown(into->out, tree)) : NULL;
			if (!objs[kept] || (into && !progs[kept]))
				rc = -ENOMEM;
			kept++;
		}
	}
	if (!rc) {
		for (size_t i = 0; i < w->nobjs; i++)
			free(w->objs[i]);
		free(w->objs);
		free(w->progs);
		w->objs = objs;
		w->progs = progs;
		w->nobjs = kept;
		objs = progs = NULL;
	}
out:
	for (size_t i = 0; objs && i < kept; i++) {
		free(objs[i]);
		free(progs[i]);
	}
	free(objs);
	free(progs);
	free_links(l, nl);
	free(links);
	free(tree);
	return rc;
}
