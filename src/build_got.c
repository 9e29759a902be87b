/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: changed code that reaches a library's data directly. GCC
 * reads `stderr`, `environ` or a library's exported variable PC-relative in
 * PIE and non-PIE code, counting on the linker's copy relocation; a payload
 * is placed near the object it patches, far from libc, and has no linker.
 * The patched build also compiles each changed file with external data
 * reached through the GOT (OBJ.xsgot, see build_tree.c); when the changed
 * code needs it, the payload's code comes from there. Which functions
 * changed is still decided on the ordinary object: the diff's results are
 * carried over, section by section and symbol by symbol, by name.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "error.h"

/* Whether changed code refers to a symbol of another object by a direct
 * (non-GOT) PC-relative or absolute 32-bit field: a field that cannot reach
 * a library from a payload. */
static const char *direct_extern(const struct xb_obj *p, const char **sec)
{
	for (size_t i = 1; i < p->nsec; i++) {
		const struct xb_sec *s = &p->sec[i];

		if (!xb_sec_is_text(s) || s->state == XB_SAME)
			continue;
		for (size_t k = 0; k < s->nrel; k++) {
			const struct xb_sym *y = &p->sym[s->rel[k].sym];

			if (y->s.st_shndx == SHN_UNDEF && y->name[0] &&
			    strcmp(y->name, "_GLOBAL_OFFSET_TABLE_") &&
			    xb_rel_direct_data(s->rel[k].type)) {
				*sec = s->name;
				return y->name;
			}
		}
	}
	return NULL;
}

/* The k-th section named like p's section i (k counted among same-named
 * ones of the same type) in g, or 0. */
static unsigned same_sec(const struct xb_obj *p, unsigned i, const struct xb_obj *g)
{
	const struct xb_sec *a = &p->sec[i];
	size_t rank = 0;

	for (unsigned j = 1; j < i; j++)
		rank += p->sec[j].sh.sh_type == a->sh.sh_type && !strcmp(p->sec[j].name, a->name);
	for (unsigned j = 1; j < g->nsec; j++)
		if (g->sec[j].sh.sh_type == a->sh.sh_type && !strcmp(g->sec[j].name, a->name) &&
		    !rank--)
			return j;
	return 0;
}

static bool sym_like(const struct xb_obj *g, const struct xb_sym *x, const struct xb_sym *y,
		     const unsigned *g2p)
{
	unsigned shndx = y->s.st_shndx;

	if (x->type != y->type || x->bind != y->bind || strcmp(x->name, y->name))
		return false;
	return shndx == SHN_UNDEF || shndx >= g->nsec ? x->s.st_shndx == shndx
						       : x->s.st_shndx == g2p[shndx];
}

/* A named symbol of p like g's symbol j (same name, binding, type, and a
 * section that corresponds), or 0. Both come from one source in one order:
 * the same index, or one off (_GLOBAL_OFFSET_TABLE_), is tried first. */
static unsigned same_sym(const struct xb_obj *p, const struct xb_obj *g, unsigned j,
			 const unsigned *g2p)
{
	const struct xb_sym *y = &g->sym[j];

	for (unsigned i = j > 1 ? j - 1 : 1; i <= j + 1 && i < p->nsym; i++)
		if (sym_like(g, &p->sym[i], y, g2p))
			return i;
	for (unsigned i = 1; i < p->nsym; i++)
		if (sym_like(g, &p->sym[i], y, g2p))
			return i;
	return 0;
}

/* Carry the diff's and the match's results from p over to g. NULL, or why
 * the two objects do not correspond. */
static const char *carry_over(const struct xb_obj *p, struct xb_obj *g)
{
	unsigned *g2p = calloc(g->nsec, sizeof(*g2p));
	const char *why = NULL;

	if (!g2p)
		return "no memory";
	for (unsigned i = 1; i < p->nsec && !why; i++) {
		unsigned j = same_sec(p, i, g);

		if (j)
			g2p[j] = i;
		else if (xb_sec_is_text(&p->sec[i]) && p->sec[i].state != XB_SAME)
			why = p->sec[i].name; /* a changed function it does not have */
	}
	for (unsigned j = 1; j < g->nsec && !why; j++) {
		struct xb_sec *s = &g->sec[j];

		if (!g2p[j]) {
			if ((s->sh.sh_flags & SHF_ALLOC) && s->sh.sh_type != SHT_NOTE)
				why = s->name; /* code or data the diff did not see */
			continue;
		}
		s->state = p->sec[g2p[j]].state;
		s->twin = p->sec[g2p[j]].twin;
		s->expect = p->sec[g2p[j]].expect;
	}
	for (unsigned j = 1; j < g->nsym && !why; j++) {
		struct xb_sym *y = &g->sym[j];
		unsigned i;

		if (y->type == STT_SECTION) {
			unsigned sh = y->s.st_shndx;

			if (sh && sh < g->nsec && g2p[sh])
				for (i = 1; i < p->nsym; i++)
					if (p->sym[i].type == STT_SECTION &&
					    p->sym[i].s.st_shndx == g2p[sh]) {
						y->twin = p->sym[i].twin;
						break;
					}
			continue;
		}
		if (!y->name[0] || y->type == STT_FILE)
			continue;
		i = same_sym(p, g, j, g2p);
		if (i)
			y->twin = p->sym[i].twin;
		else if (y->s.st_shndx != SHN_UNDEF)
			why = y->name;
	}
	free(g2p);
	return why;
}

int xb_got_open(struct xb_pair *p, const char *tree)
{
	char *path = NULL;
	int rc;

	if (asprintf(&path, "%s/%s.xsgot", tree, p->rel_path) < 0)
		return -ENOMEM;
	rc = access(path, F_OK) ? 0 : xb_obj_open(path, &p->got);
	free(path);
	return rc;
}

int xb_got_use(struct xb_pair *p)
{
	const char *sec = NULL, *sym = direct_extern(p->patched, &sec), *why;

	if (!sym)
		return 0;
	if (!p->got) {
		xs_debug("build: %s: %s reaches '%s' directly, and no GOT build of it is at hand",
			 p->rel_path, sec, sym);
		return 0; /* the loader names it if it is out of reach */
	}
	why = carry_over(p->patched, p->got);
	if (why) {
		xs_debug("build: %s: its GOT build differs from it (%s): not used", p->rel_path, why);
		return 0;
	}
	xs_debug("build: %s: %s reaches '%s' directly: code taken from its GOT build", p->rel_path,
		 sec, sym);
	p->patched = p->got; /* p is the emitter's copy: the run still owns both */
	return 0;
}
