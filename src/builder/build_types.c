/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: refuse a patch that changes the layout of a struct or union
 * the new code uses. The running process holds objects in the old layout;
 * code built for the new one would read and write them at the wrong
 * offsets. Types are found in the patched object's DWARF from every changed
 * or new function (return type, parameters, locals, inlined callees, the
 * globals its relocations name, followed through pointers, typedefs, arrays
 * and members) and compared by name with the original object's.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/build.h"
#include "common/error.h"

#define MAX_USERS_SHOWN 6 /* then "and N more" */
#define MAX_DIFFS_SHOWN 4 /* per type */
#define OFF_UNKNOWN UINT64_MAX

/* One object's DWARF, relocated (libdwfl applies an ET_REL file's relocations). */
struct dw {
	Dwfl *dwfl;
	Dwarf *dw;
};

/* A DIE offset set (open addressing; offsets are never 0 for a type). */
struct seen {
	uint64_t *v;
	size_t cap, n;
};

struct user {
	const char *func; /* patched object's symbol name (owned by the object) */
	const char *file;
};

/* A named struct or union reached from the changed code. */
struct type {
	char *key;        /* "struct conn", "union u", or a typedef's name */
	int tag;          /* DW_TAG_structure_type, ... */
	const char *name; /* the tag's name, or the typedef's (inside key) */
	bool via_typedef;
	Dwarf_Off die; /* in the patched object's DWARF */
	struct dw *patched, *orig;
	struct user *users;
	size_t nusers;
};

struct walk {
	struct type *types;
	size_t ntypes;
	struct seen seen;        /* DIEs walked for the current function */
	const struct user *user; /* the function being walked */
	struct dw *patched, *orig;
	int rc;
};

static int dwfl_no_debuginfo(Dwfl_Module *m, void **u, const char *n, Dwarf_Addr a, const char *f,
                             const char *l, GElf_Word c, char **d)
{
	(void)m, (void)u, (void)n, (void)a, (void)f, (void)l, (void)c, (void)d;
	return -1; /* an object's DWARF is in the object itself */
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* 0 with d->dw NULL when the object has no DWARF. */
static int dw_open(const char *path, struct dw *d)
{
	Dwfl_Module *m;
	Dwarf_Addr bias;

	d->dw = NULL;
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl)
		return xs_fail(-ENOMEM, "%s: cannot read its DWARF: %s", path, dwfl_errmsg(-1));
	m = dwfl_report_offline(d->dwfl, path, path, -1);
	if (!m || dwfl_report_end(d->dwfl, NULL, NULL))
		return xs_fail(-EINVAL, "%s: cannot read its DWARF: %s", path, dwfl_errmsg(-1));
	d->dw = dwfl_module_getdwarf(m, &bias);
	return 0;
}

static void dw_close(struct dw *d)
{
	if (d->dwfl)
		dwfl_end(d->dwfl);
	memset(d, 0, sizeof(*d));
}

static bool seen_add(struct seen *s, uint64_t off)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct seen b = { calloc(s->cap ? 2 * s->cap : 256, sizeof(*b.v)),
			          s->cap ? 2 * s->cap : 256, 0 };

		if (!b.v)
			return false; /* out of memory: walk it again rather than fail */
		for (size_t k = 0; k < s->cap; k++)
			if (s->v[k])
				seen_add(&b, s->v[k]);
		free(s->v);
		*s = b;
	}
	for (i = (off * 0x9e3779b97f4a7c15ull) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == off)
			return false;
	s->v[i] = off;
	s->n++;
	return true;
}

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

static const char *tag_word(int tag)
{
	return tag == DW_TAG_union_type ? "union" : tag == DW_TAG_class_type ? "class" : "struct";
}

/* die's type with const/volatile/restrict/atomic removed; false: none (void). */
static bool strip_cv(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	Dwarf_Die t = *die;

	for (int i = 0; i < 16; i++) {
		int tag = dwarf_tag(&t);

		if (tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
			*out = t;
			return true;
		}
		if (!dwarf_attr_integrate(&t, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
			return false;
	}
	return false;
}

static void add_user(struct walk *w, struct type *t)
{
	struct user *u;

	for (size_t i = 0; i < t->nusers; i++)
		if (t->users[i].func == w->user->func)
			return;
	u = realloc(t->users, (t->nusers + 1) * sizeof(*u));
	if (!u) {
		w->rc = -ENOMEM;
		return;
	}
	t->users = u;
	t->users[t->nusers++] = *w->user;
}

static void record(struct walk *w, Dwarf_Die *agg, const char *typedef_name)
{
	int tag = dwarf_tag(agg);
	const char *name = typedef_name ? typedef_name : dwarf_diename(agg);
	struct type *t;
	char *key;

	if (!name || dwarf_hasattr(agg, DW_AT_declaration))
		return;
	if (typedef_name ? asprintf(&key, "%s", name) < 0 :
	                   asprintf(&key, "%s %s", tag_word(tag), name) < 0) {
		w->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < w->ntypes; i++)
		if (!strcmp(w->types[i].key, key)) {
			free(key);
			add_user(w, &w->types[i]);
			return;
		}
	t = realloc(w->types, (w->ntypes + 1) * sizeof(*t));
	if (!t) {
		free(key);
		w->rc = -ENOMEM;
		return;
	}
	w->types = t;
	t = &w->types[w->ntypes++];
	*t = (struct type){ .key = key,
		            .tag = tag,
		            .via_typedef = typedef_name != NULL,
		            .die = dwarf_dieoffset(agg),
		            .patched = w->patched,
		            .orig = w->orig };
	t->name = typedef_name ? key : key + strlen(tag_word(tag)) + 1;
	add_user(w, t);
}

static void walk_type(struct walk *w, Dwarf_Die *die, int depth);

static void walk_type_of(struct walk *w, Dwarf_Die *die, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, &t))
		walk_type(w, &t, depth + 1);
}

/* Every struct/union reachable from type die. */
static void walk_type(struct walk *w, Dwarf_Die *die, int depth)
{
	Dwarf_Die child, agg;
	int tag = dwarf_tag(die);

	if (depth > 64 || w->rc || !seen_add(&w->seen, dwarf_dieoffset(die)))
		return;
	if (tag == DW_TAG_typedef) {
		Dwarf_Attribute a;
		Dwarf_Die t;

		/* typedef struct { ... } conn_t: known by the typedef's name */
		if (dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, &t) &&
		    strip_cv(&t, &agg) && is_aggregate(dwarf_tag(&agg)) && !dwarf_diename(&agg))
			record(w, &agg, dwarf_diename(die));
		walk_type_of(w, die, depth);
		return;
	}
	if (is_aggregate(tag))
		record(w, die, NULL);
	if (is_aggregate(tag) || tag == DW_TAG_subroutine_type) {
		if (dwarf_child(die, &child) == 0)
			do {
				int ct = dwarf_tag(&child);

				if (ct == DW_TAG_member || ct == DW_TAG_formal_parameter)
					walk_type_of(w, &child, depth);
			} while (dwarf_siblingof(&child, &child) == 0);
	}
	/* pointers, arrays, cv-qualifiers, typedefs, a function's return */
	walk_type_of(w, die, depth);
}

/* A function's DIE and everything in it: parameters, locals, nested
 * blocks, inlined callees (through their abstract origin). */
static void walk_code(struct walk *w, Dwarf_Die *die, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die child, origin;

	if (depth > 64 || w->rc || !seen_add(&w->seen, dwarf_dieoffset(die)))
		return;
	walk_type_of(w, die, depth);
	if (dwarf_attr(die, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &origin))
		walk_code(w, &origin, depth + 1);
	if (dwarf_child(die, &child) == 0)
		do {
			walk_code(w, &child, depth + 1);
		} while (dwarf_siblingof(&child, &child) == 0);
}

/* Name of the function in text section s ("conn_new" for "conn_new.part.0"). */
static size_t func_name_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

static bool name_is(const char *a, const char *b, size_t blen)
{
	return a && strlen(a) == blen && !memcmp(a, b, blen);
}

/* Names the changed code refers to through relocations (globals). */
static bool code_refers_to(const struct xb_obj *p, const struct xb_sec *s, const char *name)
{
	for (size_t k = 0; k < s->nrel; k++) {
		const struct xb_sym *y;
		struct xb_target t;

		xb_rel_target(p, &s->rel[k], &t);
		if (t.kind == XB_T_SECTION)
			continue;
		y = &p->sym[t.sym];
		if (y->type != STT_FUNC && y->type != STT_SECTION &&
		    name_is(name, y->name, xb_stem_len(y->name)))
			return true;
	}
	return false;
}

/* The types the changed and new function in section s of p uses. */
static void walk_func(struct walk *w, const struct xb_pair *pr, const struct xb_sec *sec)
{
	const struct xb_obj *p = pr->patched;
	const char *fn = p->sym[sec->func].name;
	struct user u = { fn, p->file[0] ? p->file : pr->rel_path };
	Dwarf_Off off = 0, next;
	size_t hsize;

	w->user = &u;
	free(w->seen.v);
	w->seen = (struct seen){ 0 };
	while (!w->rc && dwarf_nextcu(w->patched->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(w->patched->dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0)
			do {
				int tag = dwarf_tag(&die);

				if (tag == DW_TAG_subprogram &&
				    name_is(dwarf_diename(&die), fn, func_name_len(fn)))
					walk_code(w, &die, 0);
				else if (tag == DW_TAG_variable &&
				         code_refers_to(p, sec, dwarf_diename(&die)))
					walk_type_of(w, &die, 0);
			} while (!w->rc && dwarf_siblingof(&die, &die) == 0);
		off = next;
	}
	w->user = NULL;
}

static void walk_pair(struct walk *w, const struct xb_pair *pr)
{
	const struct xb_obj *p = pr->patched;

	for (size_t s = 1; s < p->nsec && !w->rc; s++) {
		const struct xb_sec *sec = &p->sec[s];

		if (xb_sec_is_text(sec) && sec->state != XB_SAME && !sec->parent && sec->func)
			walk_func(w, pr, sec);
	}
}

/* --- comparing one type -------------------------------------------------------- */

struct field {
	char path[160];
	uint64_t off, size; /* in bits; OFF_UNKNOWN: not a constant */
	bool bits;          /* a bitfield */
};

struct fields {
	struct field *v;
	size_t n;
};

static uint64_t attr_udata(Dwarf_Die *die, unsigned name, uint64_t dflt)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (!dwarf_attr_integrate(die, name, &a) || dwarf_formudata(&a, &v))
		return dflt;
	return v;
}

static uint64_t type_bytes(Dwarf_Die *member)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	Dwarf_Word size;

	if (!dwarf_attr_integrate(member, DW_AT_type, &a) || !dwarf_formref_die(&a, &t) ||
	    dwarf_aggregate_size(&t, &size))
		return 0; /* a flexible array member */
	return size;
}

/* A member's place in bits from the start of its aggregate. */
static uint64_t member_bit_offset(Dwarf_Die *m, uint64_t bit_size, uint64_t bytes)
{
	uint64_t loc = attr_udata(m, DW_AT_data_member_location, 0), old;

	if (dwarf_hasattr(m, DW_AT_data_bit_offset))
		return attr_udata(m, DW_AT_data_bit_offset, OFF_UNKNOWN);
	if (dwarf_hasattr(m, DW_AT_data_member_location) &&
	    attr_udata(m, DW_AT_data_member_location, OFF_UNKNOWN) == OFF_UNKNOWN)
		return OFF_UNKNOWN; /* a location expression */
	if (!bit_size || !dwarf_hasattr(m, DW_AT_bit_offset))
		return loc * 8;
	/* DWARF 2-4 style: bits from the storage unit's most significant bit */
	old = attr_udata(m, DW_AT_bit_offset, 0);
	bytes = attr_udata(m, DW_AT_byte_size, bytes);
	return loc * 8 + bytes * 8 - old - bit_size;
}

/* Members by path, anonymous struct/union members spread out in place (C11
 * reaches their members directly) and anonymous aggregate types of named
 * members spread out under the member's name. */
static int flatten(Dwarf_Die *agg, uint64_t base, const char *prefix, struct fields *f, int depth)
{
	Dwarf_Die m;

	if (depth > 16 || dwarf_child(agg, &m))
		return 0;
	do {
		const char *name = dwarf_diename(&m);
		uint64_t bit_size = attr_udata(&m, DW_AT_bit_size, 0), bytes = type_bytes(&m);
		uint64_t off = member_bit_offset(&m, bit_size, bytes);
		Dwarf_Attribute a;
		Dwarf_Die t, inner;
		bool anon_agg;
		struct field *x;
		int rc;

		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		anon_agg = dwarf_attr_integrate(&m, DW_AT_type, &a) && dwarf_formref_die(&a, &t) &&
		           strip_cv(&t, &inner) && is_aggregate(dwarf_tag(&inner)) &&
		           !dwarf_diename(&inner);
		if (off != OFF_UNKNOWN && base != OFF_UNKNOWN)
			off += base;
		else
			off = OFF_UNKNOWN;
		if (name) {
			x = realloc(f->v, (f->n + 1) * sizeof(*x));
			if (!x)
				return -ENOMEM;
			f->v = x;
			x = &f->v[f->n++];
			snprintf(x->path, sizeof(x->path), "%s%s", prefix, name);
			x->off = off;
			x->size = bit_size ? bit_size : bytes * 8;
			x->bits = bit_size != 0;
		}
		if (anon_agg) {
			char sub[160];

			snprintf(sub, sizeof(sub), "%s%s%s", prefix, name ? name : "",
			         name ? "." : "");
			rc = flatten(&inner, off, sub, f, depth + 1);
			if (rc)
				return rc;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return 0;
}

/* The definition of t's type in the original object, by name. */
static bool find_orig(const struct type *t, Dwarf_Die *out)
{
	Dwarf *dw = t->orig->dw;
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dw && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die, agg;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0)
			do {
				int tag = dwarf_tag(&die);
				const char *name = dwarf_diename(&die);
				Dwarf_Attribute a;
				Dwarf_Die ty;

				if (!name || strcmp(name, t->name))
					continue;
				if (!t->via_typedef && tag == t->tag &&
				    !dwarf_hasattr(&die, DW_AT_declaration)) {
					*out = die;
					return true;
				}
				if (t->via_typedef && tag == DW_TAG_typedef &&
				    dwarf_attr_integrate(&die, DW_AT_type, &a) &&
				    dwarf_formref_die(&a, &ty) && strip_cv(&ty, &agg) &&
				    is_aggregate(dwarf_tag(&agg))) {
					*out = agg;
					return true;
				}
			} while (dwarf_siblingof(&die, &die) == 0);
		off = next;
	}
	return false;
}

static const struct field *field_by_path(const struct fields *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].path, path))
			return &f->v[i];
	return NULL;
}

/* Offsets and sizes in bytes, or bits for a bitfield. */
static void unit_fmt(char *buf, size_t len, uint64_t v, bool bits)
{
	if (v == OFF_UNKNOWN)
		snprintf(buf, len, "?");
	else if (bits)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)(v / 8));
}

struct out {
	char *buf;
	size_t len, used;
	unsigned shown, more;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

static void diff_item(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff_item(struct out *o, const char *fmt, ...)
{
	char item[400];
	va_list ap;

	if (o->shown >= MAX_DIFFS_SHOWN) {
		o->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	put(o, "%s%s", o->shown++ ? ", " : "", item);
}

/* What differs between the two layouts; nothing written when they agree. */
static void compare(const struct fields *a, const struct fields *b, bool is_union, uint64_t size_a,
                    uint64_t size_b, struct out *o)
{
	char x[40], y[40];

	for (size_t i = 0; i < b->n; i++) {
		const struct field *nb = &b->v[i], *na = field_by_path(a, nb->path);
		bool bits = nb->bits || (na && na->bits);

		if (!na) {
			/* a union member that does not make it bigger moves nothing */
			if (is_union && size_a == size_b)
				continue;
			unit_fmt(x, sizeof(x), nb->off, nb->bits);
			diff_item(o, "new member %s at %s %s", nb->path,
			          nb->bits ? "bit" : "offset", x);
			continue;
		}
		if (na->off != nb->off) {
			unit_fmt(x, sizeof(x), na->off, bits);
			unit_fmt(y, sizeof(y), nb->off, bits);
			diff_item(o, "member %s moved from %s %s to %s", nb->path,
			          bits ? "bit" : "offset", x, y);
		}
		if (na->size != nb->size)
			diff_item(o, "member %s changes size from %llu to %llu %s", nb->path,
			          (unsigned long long)(bits ? na->size : na->size / 8),
			          (unsigned long long)(bits ? nb->size : nb->size / 8),
			          bits ? "bits" : "bytes");
	}
	for (size_t i = 0; i < a->n; i++)
		if (!field_by_path(b, a->v[i].path)) {
			unit_fmt(x, sizeof(x), a->v[i].off, a->v[i].bits);
			diff_item(o, "member %s (at %s %s) removed", a->v[i].path,
			          a->v[i].bits ? "bit" : "offset", x);
		}
	if (!o->shown && size_a != size_b)
		diff_item(o, "its size changes");
}

/* One line for t when its layout changed: what moved, and who uses it. */
static int check_type(const struct type *t, char *line, size_t len, bool *changed)
{
	struct fields fa = { 0 }, fb = { 0 };
	struct out o = { line, len, 0, 0, 0 };
	Dwarf_Die pa, pb;
	Dwarf_Word sa = 0, sb = 0;
	int rc;

	*changed = false;
	if (!find_orig(t, &pa) || !dwarf_offdie(t->patched->dw, t->die, &pb))
		return 0; /* a new type: nothing in the process has it */
	dwarf_aggregate_size(&pa, &sa);
	dwarf_aggregate_size(&pb, &sb);
	rc = flatten(&pa, 0, "", &fa, 0);
	if (!rc)
		rc = flatten(&pb, 0, "", &fb, 0);
	if (rc)
		goto out;
	put(&o, "%s: ", t->key);
	compare(&fa, &fb, t->tag == DW_TAG_union_type, sa, sb, &o);
	*changed = o.shown != 0;
	if (!*changed)
		goto out;
	if (o.more)
		put(&o, " and %u more", o.more);
	put(&o, " (size %llu -> %llu), used by ", (unsigned long long)sa, (unsigned long long)sb);
	for (size_t i = 0; i < t->nusers && i < MAX_USERS_SHOWN; i++) {
		const char *file = t->users[i].file;
		bool last_of_file = i + 1 == t->nusers || i + 1 == MAX_USERS_SHOWN ||
		                    strcmp(t->users[i + 1].file, file);

		put(&o, "%s%s", i ? ", " : "", t->users[i].func);
		if (last_of_file)
			put(&o, " (%s)", file);
	}
	if (t->nusers > MAX_USERS_SHOWN)
		put(&o, " and %zu more", t->nusers - MAX_USERS_SHOWN);
	put(&o, "; add new state with a shadow variable (docs/builder.md)");
out:
	free(fa.v);
	free(fb.v);
	return rc;
}

/* name is in the comma-separated list allow. */
static bool allowed(const char *allow, const char *name)
{
	size_t n = strlen(name);

	for (const char *a = allow; a && *a; a += strcspn(a, ",") + (a[strcspn(a, ",")] == ',')) {
		if (strcspn(a, ",") == n && !strncmp(a, name, n))
			return true;
	}
	return false;
}

static int check_types(const struct walk *w, const char *allow, size_t *nchanged, char *first,
                       size_t len)
{
	char line[2048];

	*nchanged = 0;
	for (size_t i = 0; i < w->ntypes; i++) {
		bool changed;
		int rc = check_type(&w->types[i], line, sizeof(line), &changed);

		if (rc)
			return rc;
		if (!changed)
			continue;
		if (allowed(allow, w->types[i].name)) {
			char *advice = strstr(line, "; add new state");

			if (advice)
				*advice = '\0';
			xs_note("warning: %s; allowed by --allow-layout", line);
			continue;
		}
		if (!(*nchanged)++)
			snprintf(first, len, "%s", line);
		else {
			if (*nchanged == 2)
				xs_note("%s", first);
			xs_note("%s", line);
		}
	}
	return 0;
}

int xb_check_layouts(struct xb_pair *pairs, size_t n, const char *allow)
{
	struct dw *dws = calloc(2 * n + 1, sizeof(*dws));
	struct walk w = { 0 };
	char first[2048];
	size_t nchanged = 0;
	int rc = dws ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !rc; i++) {
		struct xb_pair *p = &pairs[i];

		if (!p->nchanged && !p->nnew)
			continue;
		rc = dw_open(p->patched->path, &dws[2 * i]);
		if (!rc)
			rc = dw_open(p->orig->path, &dws[2 * i + 1]);
		if (rc)
			break;
		if (!dws[2 * i].dw || !dws[2 * i + 1].dw) {
			xs_note(
			    "warning: %s has no DWARF (built without -g): the layouts of the structs its changed functions use are not checked",
			    p->rel_path);
			continue;
		}
		w.patched = &dws[2 * i];
		w.orig = &dws[2 * i + 1];
		walk_pair(&w, p);
		rc = w.rc;
	}
	if (!rc)
		rc = check_types(&w, allow, &nchanged, first, sizeof(first));
	if (!rc && nchanged == 1)
		rc = xs_fail(-EOPNOTSUPP, "%s", first);
	else if (!rc && nchanged)
		rc = xs_fail(
		    -EOPNOTSUPP,
		    "%zu structs or unions the changed code uses change their layout (listed above): the running process keeps its objects in the old one; add new state with a shadow variable (docs/builder.md)",
		    nchanged);
	for (size_t i = 0; i < w.ntypes; i++) {
		free(w.types[i].key);
		free(w.types[i].users);
	}
	free(w.types);
	free(w.seen.v);
	for (size_t i = 0; dws && i < 2 * n; i++)
		dw_close(&dws[i]);
	free(dws);
	return rc;
}
