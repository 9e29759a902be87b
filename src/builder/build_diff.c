/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: correlate an object built from the original tree with the
 * same object built from the patched one (symbols, then sections), compare
 * every function with relocated fields masked, classify it SAME / CHANGED /
 * NEW, and refuse changes to existing data the running process already holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

static bool is_named(const struct xb_sym *s)
{
	return (s->type == STT_FUNC || s->type == STT_OBJECT || s->type == STT_TLS) &&
	       s->s.st_shndx != SHN_UNDEF && s->s.st_shndx < SHN_LORESERVE && s->name[0];
}

static bool has_suffix(const char *name)
{
	return xb_stem_len(name) != strlen(name);
}

/* Which function first refers to each data symbol: tells apart the many
 * "counter.N" a file's functions may have. */
static void find_owners(struct xb_obj *o)
{
	for (size_t i = 1; i < o->nsec; i++) {
		if (!xb_sec_is_text(&o->sec[i]) || !o->sec[i].func)
			continue;
		for (size_t k = 0; k < o->sec[i].nrel; k++) {
			struct xb_target t;

			xb_rel_target(o, &o->sec[i].rel[k], &t);
			if (t.kind == XB_T_NAMED && o->sym[t.sym].type != STT_FUNC &&
			    !o->sym[t.sym].owner)
				o->sym[t.sym].owner = (unsigned)i;
		}
	}
}

static const char *owner_name(const struct xb_obj *o, const struct xb_sym *s)
{
	return s->owner ? o->sym[o->sec[s->owner].func].name : "";
}

/* Can orig's symbol j be patched's symbol i? strict: same full name. */
static bool sym_fits(const struct xb_obj *o, const struct xb_sym *a, const struct xb_obj *p,
                     const struct xb_sym *b, bool strict)
{
	if (a->twin || !is_named(a) || a->type != b->type ||
	    (a->bind == STB_LOCAL) != (b->bind == STB_LOCAL))
		return false;
	if (strict)
		return !strcmp(a->name, b->name);
	if (!xb_same_stem(a->name, b->name))
		return false;
	/* Renamed function-scope statics: the same stem in the same function. */
	if (b->type != STT_FUNC && has_suffix(b->name))
		return xb_same_stem(owner_name(o, a), owner_name(p, b));
	return true;
}

static void match_symbols(struct xb_obj *o, struct xb_obj *p)
{
	for (int strict = 1; strict >= 0; strict--) {
		for (size_t i = 1; i < p->nsym; i++) {
			struct xb_sym *b = &p->sym[i];

			if (b->twin || !is_named(b))
				continue;
			/* A suffixed static matches by stem and owner only: counter.0
			 * may well be another function's counter now. */
			if (strict && b->bind == STB_LOCAL && b->type != STT_FUNC &&
			    has_suffix(b->name))
				continue;
			for (size_t j = 1; j < o->nsym; j++) {
				if (!sym_fits(o, &o->sym[j], p, b, strict))
					continue;
				b->twin = (unsigned)j;
				o->sym[j].twin = (unsigned)i;
				break;
			}
		}
	}
}

static void twin_secs(struct xb_obj *o, unsigned a, struct xb_obj *p, unsigned b)
{
	if (!a || !b || a >= o->nsec || b >= p->nsec || o->sec[a].twin || p->sec[b].twin)
		return;
	o->sec[a].twin = b;
	p->sec[b].twin = a;
}

/* Sections follow their symbols; anonymous ones (strings, constants, jump
 * tables) go by name. */
static void match_sections(struct xb_obj *o, struct xb_obj *p)
{
	for (size_t i = 1; i < p->nsym; i++) {
		struct xb_sym *b = &p->sym[i];

		if (is_named(b) && b->twin && b->s.st_value == 0)
			twin_secs(o, o->sym[b->twin].s.st_shndx, p, b->s.st_shndx);
	}
	for (int strict = 1; strict >= 0; strict--) {
		for (size_t i = 1; i < p->nsec; i++) {
			if (p->sec[i].twin || !(p->sec[i].sh.sh_flags & SHF_ALLOC) ||
			    p->sec[i].func)
				continue;
			for (size_t j = 1; j < o->nsec; j++) {
				const char *an = o->sec[j].name, *bn = p->sec[i].name;

				if (o->sec[j].twin || o->sec[j].func ||
				    (strict ? strcmp(an, bn) : !xb_same_stem(an, bn)))
					continue;
				twin_secs(o, (unsigned)j, p, (unsigned)i);
				break;
			}
		}
	}
}

/* len bytes at off of section s, relocated fields zeroed, into buf. */
static void masked(const struct xb_sec *s, uint64_t off, uint64_t len, unsigned char *buf)
{
	if (s->data && off + len <= s->sh.sh_size)
		memcpy(buf, s->data + off, len);
	else
		memset(buf, 0, len);
	for (size_t k = 0; k < s->nrel; k++) {
		uint64_t r = s->rel[k].off, w = xs_arch_reloc_info(s->rel[k].type)->width;

		for (uint64_t x = r; x < r + w; x++)
			if (x >= off && x < off + len)
				buf[x - off] = 0;
	}
}

static bool bytes_equal(const struct xb_sec *a, uint64_t oa, const struct xb_sec *b, uint64_t ob,
                        uint64_t len)
{
	unsigned char *x, *y;
	bool eq;

	if (!len)
		return true;
	x = malloc(len);
	y = malloc(len);
	if (!x || !y) {
		free(x);
		free(y);
		return false; /* "changed" is the safe answer */
	}
	masked(a, oa, len, x);
	masked(b, ob, len, y);
	eq = !memcmp(x, y, len);
	free(x);
	free(y);
	return eq;
}

static bool rels_equal(const struct xb_obj *o, const struct xb_sec *a, uint64_t oa,
                       const struct xb_obj *p, const struct xb_sec *b, uint64_t ob, uint64_t len,
                       bool deep);
static size_t rel_from(const struct xb_sec *s, uint64_t off);

/* A string (or constant) in a merged section, by content: its offset moves
 * whenever another literal of the file changes. */
static bool merged_equal(const struct xb_obj *o, const struct xb_target *ta,
                         const struct xb_rel *ra, const struct xb_obj *p,
                         const struct xb_target *tb, const struct xb_rel *rb)
{
	const struct xb_sec *a = &o->sec[ta->sec], *b = &p->sec[tb->sec];
	int64_t fa = ta->addend + xs_arch_reloc_info(ra->type)->pc_bias;
	int64_t fb = tb->addend + xs_arch_reloc_info(rb->type)->pc_bias;

	if (!a->data || !b->data || fa < 0 || fb < 0 || (uint64_t)fa >= a->sh.sh_size ||
	    (uint64_t)fb >= b->sh.sh_size)
		return ta->addend == tb->addend && a->sh.sh_size == b->sh.sh_size;
	if (a->sh.sh_flags & SHF_STRINGS) {
		size_t ma = a->sh.sh_size - (uint64_t)fa, mb = b->sh.sh_size - (uint64_t)fb;
		size_t la = strnlen((const char *)a->data + fa, ma),
		       lb = strnlen((const char *)b->data + fb, mb);

		if (la == lb && !memcmp(a->data + fa, b->data + fb, la))
			return true;
		/* "f.c:123" (a stringized __LINE__) that only moved with its line */
		if (!xb_lines_text_noise(o->lines, o->file, (const char *)a->data + fa, la,
		                         (const char *)b->data + fb, lb))
			return false;
		xs_debug("build: %s: string \"%.*s\" differs only in line numbers", o->file,
		         (int)la, (const char *)a->data + fa);
		return true;
	}
	uint64_t e = a->sh.sh_entsize ? a->sh.sh_entsize : 1;

	return (uint64_t)fa + e <= a->sh.sh_size && (uint64_t)fb + e <= b->sh.sh_size &&
	       !memcmp(a->data + fa, b->data + fb, e);
}

/* Two merged sections of the same kind (strings, or constants of one size):
 * a literal is found by its content, whichever section and label (.LC3 in
 * .rodata.f.str1.1, .LC7 in .rodata.g.str1.1) it comes under, as the linker
 * merges it. */
static bool same_merge_kind(const struct xb_sec *a, const struct xb_sec *b)
{
	uint64_t k = SHF_MERGE | SHF_STRINGS;

	return (a->sh.sh_flags & SHF_MERGE) && (a->sh.sh_flags & k) == (b->sh.sh_flags & k) &&
	       a->sh.sh_entsize == b->sh.sh_entsize;
}

/* --- anonymous read-only data, by the bytes a reference reaches ------------
 * At -O0 every literal and constant of a file sits in one .rodata without a
 * symbol: a changed literal moves all later ones. A reference is the same when
 * the bytes it reaches are, wherever they now sit. */

static int add_mark(struct xb_sec *s, uint64_t off, size_t *cap)
{
	if (s->nmarks == *cap) {
		size_t n = *cap ? 2 * *cap : 16;
		uint64_t *v = realloc(s->marks, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->marks = v;
		*cap = n;
	}
	s->marks[s->nmarks++] = off;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Where each anonymous datum of read-only data may end: every offset a
 * symbol starts at or a relocation of loaded code or data points to. */
static int find_marks(struct xb_obj *o)
{
	size_t *cap = calloc(o->nsec, sizeof(*cap));
	int rc = 0;

	if (!cap)
		return -ENOMEM;
	for (size_t i = 1; i < o->nsym && !rc; i++) {
		const struct xb_sym *s = &o->sym[i];

		if (s->s.st_shndx && s->s.st_shndx < o->nsec && s->type != STT_SECTION &&
		    s->type != STT_FILE && xb_sec_is_rodata(&o->sec[s->s.st_shndx]))
			rc = add_mark(&o->sec[s->s.st_shndx], s->s.st_value, &cap[s->s.st_shndx]);
	}
	for (size_t i = 1; i < o->nsec && !rc; i++) {
		if (!(o->sec[i].sh.sh_flags & SHF_ALLOC))
			continue; /* debug info may point anywhere */
		for (size_t k = 0; k < o->sec[i].nrel && !rc; k++) {
			const struct xb_rel *r = &o->sec[i].rel[k];
			struct xb_target t;
			int64_t off;

			xb_rel_target(o, r, &t);
			off = t.addend + xs_arch_reloc_info(r->type)->pc_bias;
			if (t.kind == XB_T_SECTION && xb_sec_is_rodata(&o->sec[t.sec]) && off >= 0)
				rc = add_mark(&o->sec[t.sec], (uint64_t)off, &cap[t.sec]);
		}
	}
	for (size_t i = 1; i < o->nsec; i++)
		if (o->sec[i].nmarks)
			qsort(o->sec[i].marks, o->sec[i].nmarks, sizeof(uint64_t), cmp_u64);
	free(cap);
	return rc;
}

/* The first mark after off, or the section's end. */
static uint64_t datum_end(const struct xb_sec *s, uint64_t off)
{
	size_t lo = 0, hi = s->nmarks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->marks[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nmarks && s->marks[lo] < s->sh.sh_size ? s->marks[lo] : s->sh.sh_size;
}

/* Length of the C string at off (without its NUL), or -1 when off holds no
 * string: no NUL before the section's end, or relocated bytes in it. */
static int64_t string_at(const struct xb_sec *s, uint64_t off)
{
	size_t n = strnlen((const char *)s->data + off, s->sh.sh_size - off);
	size_t k = rel_from(s, off);

	if (off + n >= s->sh.sh_size || (k < s->nrel && s->rel[k].off <= off + n))
		return -1;
	return (int64_t)n;
}

/* len bytes at off hold no relocation and only zeros (alignment padding). */
static bool zeros(const struct xb_sec *s, uint64_t off, uint64_t len)
{
	size_t k = rel_from(s, off);

	if (k < s->nrel && s->rel[k].off < off + len)
		return false;
	for (uint64_t i = 0; i < len; i++)
		if (s->data[off + i])
			return false;
	return true;
}

/* Section-relative references ra and rb into read-only data a and b: 1 when
 * they reach the same string, or (unless strings_only: no recursion into what
 * the data refers to) the same bytes up to where the shorter datum ends (the
 * longer may only add padding); 0 when not; -1 when this cannot tell. */
static int ref_data_equal(const struct xb_obj *o, const struct xb_target *ta,
                          const struct xb_rel *ra, const struct xb_obj *p,
                          const struct xb_target *tb, const struct xb_rel *rb, bool strings_only)
{
	const struct xb_sec *a = &o->sec[ta->sec], *b = &p->sec[tb->sec];
	int64_t fa = ta->addend + xs_arch_reloc_info(ra->type)->pc_bias;
	int64_t fb = tb->addend + xs_arch_reloc_info(rb->type)->pc_bias;
	int64_t sa, sb;
	uint64_t la, lb, l;

	if (!a->data || !b->data || fa < 0 || fb < 0 || (uint64_t)fa >= a->sh.sh_size ||
	    (uint64_t)fb >= b->sh.sh_size)
		return -1; /* the caller compares the whole sections */
	la = datum_end(a, (uint64_t)fa) - (uint64_t)fa;
	lb = datum_end(b, (uint64_t)fb) - (uint64_t)fb;
	sa = string_at(a, (uint64_t)fa);
	sb = string_at(b, (uint64_t)fb);
	if (sa >= 0 && sb >= 0 && (uint64_t)sa < la && (uint64_t)sb < lb &&
	    zeros(a, (uint64_t)fa + (uint64_t)sa, la - (uint64_t)sa) &&
	    zeros(b, (uint64_t)fb + (uint64_t)sb, lb - (uint64_t)sb)) {
		if (sa == sb && !memcmp(a->data + fa, b->data + fb, (size_t)sa))
			return 1;
		return xb_lines_text_noise(o->lines, o->file, (const char *)a->data + fa,
		                           (size_t)sa, (const char *)b->data + fb, (size_t)sb);
	}
	if (strings_only)
		return -1;
	l = la < lb ? la : lb;
	return bytes_equal(a, (uint64_t)fa, b, (uint64_t)fb, l) &&
	       rels_equal(o, a, (uint64_t)fa, p, b, (uint64_t)fb, l, false) &&
	       (la == l || zeros(a, (uint64_t)fa + l, la - l)) &&
	       (lb == l || zeros(b, (uint64_t)fb + l, lb - l));
}

static bool target_equal(const struct xb_obj *o, const struct xb_rel *ra, const struct xb_obj *p,
                         const struct xb_rel *rb, bool deep)
{
	struct xb_target ta, tb;

	xb_rel_target(o, ra, &ta);
	xb_rel_target(p, rb, &tb);
	if (ta.kind != tb.kind)
		return false;
	switch (ta.kind) {
	case XB_T_UNDEF:
		return !strcmp(o->sym[ta.sym].name, p->sym[tb.sym].name) && ta.addend == tb.addend;
	case XB_T_NAMED: {
		const struct xb_sym *sa = &o->sym[ta.sym], *sb = &p->sym[tb.sym];
		const struct xb_sec *xa = &o->sec[ta.sec], *xb = &p->sec[tb.sec];

		if (sa->twin != tb.sym || ta.addend != tb.addend)
			return false;
		/* Read-only data is copied with the code that uses it: a change
		 * in it is a change of that code. */
		if (!deep || !xb_sec_is_rodata(xa))
			return true;
		return sa->s.st_size == sb->s.st_size &&
		       bytes_equal(xa, sa->s.st_value, xb, sb->s.st_value, sa->s.st_size) &&
		       rels_equal(o, xa, sa->s.st_value, p, xb, sb->s.st_value, sa->s.st_size,
		                  false);
	}
	case XB_T_SECTION:
		if (same_merge_kind(&o->sec[ta.sec], &p->sec[tb.sec]))
			return merged_equal(o, &ta, ra, p, &tb, rb);
		if (o->sec[ta.sec].twin != tb.sec)
			return false;
		if (o->sec[ta.sec].sh.sh_flags & SHF_MERGE)
			return merged_equal(o, &ta, ra, p, &tb, rb);
		if (xb_sec_is_rodata(&o->sec[ta.sec])) {
			int eq = ref_data_equal(o, &ta, ra, p, &tb, rb, !deep);

			if (eq >= 0)
				return eq;
		}
		if (ta.addend != tb.addend)
			return false;
		if (!deep)
			return true;
		return o->sec[ta.sec].sh.sh_size == p->sec[tb.sec].sh.sh_size &&
		       bytes_equal(&o->sec[ta.sec], 0, &p->sec[tb.sec], 0,
		                   o->sec[ta.sec].sh.sh_size) &&
		       rels_equal(o, &o->sec[ta.sec], 0, p, &p->sec[tb.sec], 0,
		                  o->sec[ta.sec].sh.sh_size, false);
	}
	return false;
}

/* First relocation at or after off. */
static size_t rel_from(const struct xb_sec *s, uint64_t off)
{
	size_t k = 0;

	while (k < s->nrel && s->rel[k].off < off)
		k++;
	return k;
}

static bool rels_equal(const struct xb_obj *o, const struct xb_sec *a, uint64_t oa,
                       const struct xb_obj *p, const struct xb_sec *b, uint64_t ob, uint64_t len,
                       bool deep)
{
	size_t i = rel_from(a, oa), j = rel_from(b, ob);

	for (;; i++, j++) {
		bool ea = i >= a->nrel || a->rel[i].off >= oa + len;
		bool eb = j >= b->nrel || b->rel[j].off >= ob + len;

		if (ea || eb)
			return ea && eb;
		if (a->rel[i].off - oa != b->rel[j].off - ob || a->rel[i].type != b->rel[j].type ||
		    !target_equal(o, &a->rel[i], p, &b->rel[j], deep))
			return false;
	}
}

static bool section_same(const struct xb_obj *o, unsigned a, const struct xb_obj *p, unsigned b)
{
	const struct xb_sec *x = &o->sec[a], *y = &p->sec[b];

	return x->sh.sh_size == y->sh.sh_size && bytes_equal(x, 0, y, 0, x->sh.sh_size) &&
	       rels_equal(o, x, 0, p, y, 0, x->sh.sh_size, true);
}

/* Differs only in __LINE__ constants that moved with their line: the same
 * relocations, and bytes that differ only there. */
static bool line_noise(const struct xb_pair *pr, unsigned a, unsigned b)
{
	const struct xb_sec *x = &pr->orig->sec[a], *y = &pr->patched->sec[b];
	uint64_t len = x->sh.sh_size;
	unsigned char *bx, *by;
	bool same;

	if (!pr->lines || len != y->sh.sh_size || !len ||
	    !rels_equal(pr->orig, x, 0, pr->patched, y, 0, len, true))
		return false;
	bx = malloc(len);
	by = malloc(len);
	same = bx && by;
	if (same) {
		masked(x, 0, len, bx);
		masked(y, 0, len, by);
		same = xb_lines_noise(pr->lines, pr->orig->file, bx, by, len);
	}
	free(bx);
	free(by);
	return same;
}

int xb_ref_name(const struct xb_obj *o, unsigned i, char *buf, size_t len)
{
	const struct xb_sym *s = &o->sym[i];
	int n;

	if (s->bind != STB_LOCAL)
		n = snprintf(buf, len, "%s", s->name);
	else if (o->file[0])
		n = snprintf(buf, len, "%s#%s", o->file, s->name);
	else
		return xs_fail(-EINVAL,
		               "%s: file-local symbol %s, but no STT_FILE symbol names the file",
		               o->path, s->name);
	if (n < 0 || (size_t)n >= len)
		return xs_fail(-ENAMETOOLONG, "%s: symbol name %s too long", o->path, s->name);
	return 0;
}

/* Existing data keeps its place and value in the running process. */
static int check_data(struct xb_pair *pr)
{
	const struct xb_obj *o = pr->orig, *p = pr->patched;

	for (size_t i = 1; i < p->nsym; i++) {
		const struct xb_sym *b = &p->sym[i], *a;
		const struct xb_sec *sb, *sa;

		if (!is_named(b) || b->type == STT_FUNC || !b->twin)
			continue;
		a = &o->sym[b->twin];
		sa = &o->sec[a->s.st_shndx];
		sb = &p->sec[b->s.st_shndx];
		if (xb_sec_is_rodata(sb) || !(sb->sh.sh_flags & SHF_ALLOC))
			continue; /* read-only: copied with the code that uses it */
		if (a->s.st_size != b->s.st_size)
			return xs_fail(
			    -EOPNOTSUPP,
			    "%s: %s: existing data changes size (%llu -> %llu bytes); the running process keeps the old layout",
			    p->file, b->name, (unsigned long long)a->s.st_size,
			    (unsigned long long)b->s.st_size);
		if (!bytes_equal(sa, a->s.st_value, sb, b->s.st_value, a->s.st_size) ||
		    !rels_equal(o, sa, a->s.st_value, p, sb, b->s.st_value, a->s.st_size, false))
			return xs_fail(
			    -EOPNOTSUPP,
			    "%s: %s: initial value of existing data changes; the running process keeps its current value (set it from a load hook instead)",
			    p->file, b->name);
	}
	return 0;
}

/* Compare every function; a changed .cold fragment changes its function. */
static int classify(struct xb_pair *pr)
{
	struct xb_obj *o = pr->orig, *p = pr->patched;

	for (size_t i = 1; i < p->nsec; i++) {
		struct xb_sec *s = &p->sec[i];

		if (!xb_sec_is_text(s) || !s->sh.sh_size)
			continue;
		if (!s->func)
			return xs_fail(-EOPNOTSUPP,
			               "%s: section %s holds code but no function symbol",
			               pr->rel_path, s->name);
		if (!s->twin)
			s->state = XB_NEW;
		else if (!section_same(o, s->twin, p, (unsigned)i) &&
		         !line_noise(pr, s->twin, (unsigned)i))
			s->state = XB_CHANGED;
		else if (!section_same(o, s->twin, p, (unsigned)i))
			xs_debug("build: %s: %s differs only in line numbers: unchanged",
			         pr->rel_path, s->name);
	}
	for (size_t i = 1; i < p->nsec; i++) {
		struct xb_sec *s = &p->sec[i];

		if (s->parent && s->state != XB_SAME && p->sec[s->parent].state == XB_SAME)
			p->sec[s->parent].state = XB_CHANGED;
	}
	for (size_t i = 1; i < p->nsec; i++) {
		struct xb_sec *s = &p->sec[i];
		const struct xb_sec *a;
		uint64_t room;

		if (s->state == XB_NEW)
			pr->nnew++;
		if (s->state != XB_CHANGED || s->parent)
			continue;
		pr->nchanged++;
		a = &o->sec[s->twin];
		room = a->sh.sh_size - (a->data ? xs_arch_patch_offset(a->data, a->sh.sh_size) : 0);
		if (room < XS_ARCH_PATCH_SIZE)
			return xs_fail(
			    -EOPNOTSUPP,
			    "%s: %s: function of %llu bytes is too small for a %d-byte jump",
			    p->file, p->sym[s->func].name, (unsigned long long)a->sh.sh_size,
			    XS_ARCH_PATCH_SIZE);
	}
	return 0;
}

int xb_diff(struct xb_pair *pr)
{
	int rc;

	if (strcmp(pr->orig->file, pr->patched->file))
		return xs_fail(-EINVAL, "%s: built from %s before the patch but from %s after",
		               pr->rel_path, pr->orig->file, pr->patched->file);
	pr->orig->lines = pr->lines;
	find_owners(pr->orig);
	find_owners(pr->patched);
	match_symbols(pr->orig, pr->patched);
	match_sections(pr->orig, pr->patched);
	rc = find_marks(pr->orig);
	if (!rc)
		rc = find_marks(pr->patched);
	if (!rc)
		rc = check_data(pr);
	if (!rc)
		rc = classify(pr);
	for (size_t i = 1; !rc && i < pr->patched->nsec; i++) {
		const struct xb_sec *s = &pr->patched->sec[i];

		if (s->state != XB_SAME)
			xs_debug("build: %s: %s %s", pr->rel_path, s->name,
			         s->state == XB_NEW ? "new" : "changed");
	}
	return rc;
}
