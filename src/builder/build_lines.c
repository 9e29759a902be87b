/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: line-number noise. For every source file the diff touches,
 * where each unchanged line of the original moved to (from `diff -U0` of the
 * two trees' copies, so it holds however `patch` placed the hunks), so that a
 * function whose only differences are __LINE__ constants that moved with
 * their line can be left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/build.h"
#include "common/error.h"

struct hunk {
	unsigned a, b; /* old lines a..a+b-1 replaced (b == 0: insertion after a) */
	long delta;    /* new count - old count */
};

struct lfile {
	char *base; /* base name: what an object's STT_FILE symbol says */
	struct hunk *h;
	size_t nh;
	bool ambiguous; /* two files of the diff share this base name */
};

struct xb_lines {
	struct lfile *f;
	size_t nf;
};

/* The hunks of `diff -U0 orig patched` (exit 1 means "differ"). */
static int read_hunks(const char *orig, const char *patched, const char *tmp, struct lfile *f)
{
	char line[4096];
	FILE *in;
	int rc = 0;

	unlink(tmp);
	/* exits 1 when they differ */
	xb_run((char *const[]){ "diff", "-U0", (char *)orig, (char *)patched, NULL }, NULL, tmp);
	in = fopen(tmp, "re");
	if (!in)
		return 0;
	while (!rc && fgets(line, sizeof(line), in)) {
		unsigned a, b = 1, c, d = 1;
		struct hunk *v;

		if (strncmp(line, "@@ -", 4))
			continue;
		if (sscanf(line, "@@ -%u,%u +%u,%u", &a, &b, &c, &d) != 4) {
			b = 1, d = 1;
			if (sscanf(line, "@@ -%u +%u,%u", &a, &c, &d) != 3 &&
			    sscanf(line, "@@ -%u,%u +%u", &a, &b, &c) != 3 &&
			    sscanf(line, "@@ -%u +%u", &a, &c) != 2)
				continue;
		}
		v = realloc(f->h, (f->nh + 1) * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			break;
		}
		f->h = v;
		f->h[f->nh++] = (struct hunk){ a, b, (long)d - (long)b };
	}
	fclose(in);
	unlink(tmp);
	return rc;
}

/* name from a "+++ " line, as found in both trees with -p1 or -p0: add it. */
static int add_file(struct xb_lines *l, const struct xb_work *w, const char *name)
{
	const char *cands[2] = { strchr(name, '/') ? strchr(name, '/') + 1 : NULL, name };
	char *o = NULL, *p = NULL, *tmp = NULL;
	int rc = 0;

	for (size_t i = 0; i < 2 && !rc; i++) {
		struct lfile *v, *f;
		const char *base;

		if (!cands[i])
			continue;
		free(o);
		free(p);
		p = NULL;
		if (asprintf(&o, "%s/%s", w->orig, cands[i]) < 0 ||
		    asprintf(&p, "%s/%s", w->tree, cands[i]) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (access(o, R_OK) || access(p, R_OK))
			continue;
		base = strrchr(cands[i], '/') ? strrchr(cands[i], '/') + 1 : cands[i];
		for (size_t k = 0; k < l->nf; k++)
			if (!strcmp(l->f[k].base, base))
				l->f[k].ambiguous = true;
		v = realloc(l->f, (l->nf + 1) * sizeof(*v));
		if (!v || asprintf(&tmp, "%s/lines.diff", w->dir) < 0) {
			rc = -ENOMEM;
			break;
		}
		l->f = v;
		f = &l->f[l->nf++];
		*f = (struct lfile){ .base = strdup(base) };
		rc = f->base ? read_hunks(o, p, tmp, f) : -ENOMEM;
		break;
	}
	free(o);
	free(p);
	free(tmp);
	return rc;
}

int xb_lines_load(const char *diff, const struct xb_work *w, struct xb_lines **out)
{
	struct xb_lines *l = calloc(1, sizeof(*l));
	char line[4096];
	FILE *in;
	int rc = 0;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	in = fopen(diff, "re");
	if (!in) {
		free(l);
		return xs_fail(-errno, "patch %s", diff);
	}
	while (!rc && fgets(line, sizeof(line), in)) {
		if (strncmp(line, "+++ ", 4))
			continue;
		line[strcspn(line, "\t\n")] = '\0';
		if (strcmp(line + 4, "/dev/null"))
			rc = add_file(l, w, line + 4);
	}
	fclose(in);
	if (rc) {
		xb_lines_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void xb_lines_free(struct xb_lines *l)
{
	for (size_t i = 0; l && i < l->nf; i++) {
		free(l->f[i].base);
		free(l->f[i].h);
	}
	if (l)
		free(l->f);
	free(l);
}

/* Where line n of the original moved to; 0 if the diff changed it. */
static unsigned long map_line(const struct lfile *f, unsigned long n)
{
	long delta = 0;

	for (size_t i = 0; i < f->nh; i++) {
		const struct hunk *h = &f->h[i];

		if (h->b ? n < h->a : n <= h->a)
			break;
		if (h->b && n < (unsigned long)h->a + h->b)
			return 0;
		delta += h->delta;
	}
	return (unsigned long)((long)n + delta);
}

static const struct lfile *find_file(const struct xb_lines *l, const char *file)
{
	const struct lfile *f = NULL;

	for (size_t i = 0; l && i < l->nf; i++)
		if (!strcmp(l->f[i].base, file) && !l->f[i].ambiguous)
			f = &l->f[i];
	return f;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

bool xb_lines_text_noise(const struct xb_lines *l, const char *file, const char *a, size_t la,
                         const char *b, size_t lb)
{
	const struct lfile *f = find_file(l, file);
	size_t i = 0, j = 0;
	bool noise = false;

	while (f && i < la && j < lb) {
		unsigned long na = 0, nb = 0;
		size_t si = i, sj = j;

		if (!digit(a[i]) || !digit(b[j]) || (i && digit(a[i - 1]))) {
			if (a[i++] != b[j++])
				return false;
			continue;
		}
		while (i < la && digit(a[i]) && i - si < 9)
			na = na * 10 + (unsigned long)(a[i++] - '0');
		while (j < lb && digit(b[j]) && j - sj < 9)
			nb = nb * 10 + (unsigned long)(b[j++] - '0');
		if ((i < la && digit(a[i])) || (j < lb && digit(b[j])))
			return false; /* too long to be a line */
		if (na != nb && map_line(f, na) != nb)
			return false;
		noise |= na != nb;
	}
	return f && noise && i == la && j == lb;
}

bool xb_lines_noise(const struct xb_lines *l, const char *file, const unsigned char *x,
                    const unsigned char *y, size_t len)
{
	const struct lfile *f = find_file(l, file);

	if (!f)
		return false;
	for (size_t i = 0; i < len;) {
		bool ok = false;

		if (x[i] == y[i]) {
			i++;
			continue;
		}
		/* A 4-byte immediate holding the line, in the window around i. */
		for (size_t j = i >= 3 ? i - 3 : 0; j <= i && j + 4 <= len && !ok; j++) {
			uint32_t a, b;

			memcpy(&a, x + j, 4);
			memcpy(&b, y + j, 4);
			if (a && a != b && memcmp(x + j, y + j, i - j) == 0 &&
			    map_line(f, a) == b) {
				i = j + 4;
				ok = true;
			}
		}
		if (!ok)
			return false;
	}
	return true;
}
