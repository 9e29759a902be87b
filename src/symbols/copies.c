/* SPDX-License-Identifier: MIT */
/*
 * Copies of a function's code the patch jump does not reach, found in the
 * object's DWARF (inlined instances, clones, calls into clones) and in its
 * .symtab (clone names). One pass over every unit; see docs/copies.md
 * for what this can and cannot see.
 */
#include "symbols/copies.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/debuginfo.h"
#include "common/error.h"

#define MAX_DEPTH 256 /* nested DIEs followed (hostile DWARF) */
#define MAX_KEPT 4096 /* copies kept in out->v; past it only counted */
#define MAX_VIA 4     /* inlined-through functions named */

/* What identifies one function in DWARF. */
struct ident {
	const void *root; /* its abstract DIE (or its only, concrete one); NULL: not described */
	const char
	    *ext_name;    /* external: its instances in other units (C99 inline) match by name */
	Dwarf_Addr entry; /* link-time entry */
	Dwarf_Word inl;   /* DW_AT_inline of its abstract DIE (DW_INL_not_inlined if none) */
	const void *unit; /* the unit of its concrete DIE */
	char *unit_name;  /* and its source file */
	size_t found;     /* instances and clones seen, kept or not */
};

/* A concrete instance of a function at another address: a clone. */
struct clone {
	const void *die;
	Dwarf_Addr entry;
	size_t func;
	bool replaced;
	size_t calls; /* call sites DWARF shows into it */
};

struct walk {
	struct xs_object *obj;
	Dwarf *dw;
	struct ident *id;
	size_t nid;
	const Dwarf_Addr *replaced; /* link-time */
	size_t nreplaced;
	struct xs_copies *out;
	Dwarf_Die scope[MAX_DEPTH]; /* the enclosing subprograms and inlined instances */
	int nscope;
	int depth;
	struct clone *clones;
	size_t nclones;
	int rc;
};

/* --- which function --------------------------------------------------------------- */

/* Whether an instance whose origin is root (at r) is one of function i. */
static bool is_of(struct walk *w, size_t i, const void *r, Dwarf_Die *root, const char **name,
                  bool *named)
{
	if (w->id[i].root && w->id[i].root == r)
		return true;
	if (!w->id[i].ext_name)
		return false;
	if (!*named) { /* only when some function is matched by name */
		*name = xs_die_external(root) ? xs_die_name(root) : NULL;
		*named = true;
	}
	return *name && !strcmp(*name, w->id[i].ext_name);
}

/* Which function's instance this DIE is (through its origin), or -1. */
static int match(struct walk *w, Dwarf_Die *die, unsigned origin_attr)
{
	Dwarf_Die root;
	const void *r = xs_die_root(die, origin_attr, &root);
	const char *name = NULL;
	bool named = false;

	for (size_t i = 0; i < w->nid; i++)
		if (is_of(w, i, r, &root, &name, &named))
			return (int)i;
	return -1;
}

static bool covers_replaced(struct walk *w, Dwarf_Die *die)
{
	for (size_t i = 0; i < w->nreplaced; i++)
		if (dwarf_haspc(die, w->replaced[i]) == 1)
			return true;
	return false;
}

/* --- findings ------------------------------------------------------------------- */

/* Name of the function holding link-time pc: its symbol, else the DIE's name. */
static char *holder_name(struct walk *w, Dwarf_Addr pc, Dwarf_Die *fallback)
{
	bool pending = xs_error_message()[0] != '\0';
	const char *name = NULL;
	uint64_t start;

	if (xs_object_func_at(w->obj, pc + w->obj->bias, &name, &start) && !pending)
		xs_error_clear(); /* only a name for a message */
	if (!name && fallback)
		name = xs_die_name(fallback);
	return strdup(name ? name : "(unnamed code)");
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Keep c (taking its strings) unless it repeats one kept already. */
static void add(struct walk *w, struct xs_copy *c)
{
	struct xs_copies *o = w->out;

	for (size_t i = 0; i < o->n; i++) {
		const struct xs_copy *k = &o->v[i];

		if (k->kind == c->kind && k->func == c->func && k->line == c->line &&
		    same_str(k->holder, c->holder) && same_str(k->copy, c->copy) &&
		    same_str(k->file, c->file) && same_str(k->via, c->via))
			goto drop; /* unrolled or versioned code repeats an instance */
	}
	if (o->n == MAX_KEPT) {
		o->more++;
		goto drop;
	}
	if (o->n % 64 == 0) {
		struct xs_copy *v = realloc(o->v, (o->n + 64) * sizeof(*v));

		if (!v) {
			w->rc = xs_fail(-ENOMEM, "%s: out of memory listing copies of functions",
			                w->obj->path);
			goto drop;
		}
		o->v = v;
	}
	o->v[o->n++] = *c;
	return;
drop:
	free(c->holder);
	free(c->via);
	free(c->copy);
	free(c->file);
}

/* "b, a" for an instance inlined into a, inlined into b, ... up to the subprogram. */
static char *via_names(struct walk *w, int from)
{
	char buf[512];
	size_t len = 0;
	int n = 0;

	buf[0] = '\0';
	for (int i = w->nscope - 1; i > from && n < MAX_VIA; i--, n++) {
		const char *name = xs_die_name(&w->scope[i]);

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", n ? ", " : "",
		                        name ? name : "?");
		if (len >= sizeof(buf))
			break;
	}
	return buf[0] ? strdup(buf) : NULL;
}

static int innermost_subprogram(struct walk *w)
{
	for (int i = w->nscope - 1; i >= 0; i--)
		if (dwarf_tag(&w->scope[i]) == DW_TAG_subprogram)
			return i;
	return -1;
}

static void on_inlined(struct walk *w, Dwarf_Die *die)
{
	int f = match(w, die, DW_AT_abstract_origin), caller;
	struct xs_copy c = { .kind = XS_COPY_INLINED };
	Dwarf_Addr pc;

	if (f < 0)
		return;
	w->id[f].found++;
	caller = innermost_subprogram(w);
	if (caller >= 0 && covers_replaced(w, &w->scope[caller])) {
		w->out->skipped++;
		return;
	}
	/* No code of its own: folded into its caller's, which still holds the old result. */
	if (!xs_die_code_addr(die, &pc) &&
	    (caller < 0 || !xs_die_code_addr(&w->scope[caller], &pc)))
		pc = 0;
	c.func = (size_t)f;
	c.addr = pc ? pc + w->obj->bias : 0;
	c.holder = holder_name(w, pc, caller >= 0 ? &w->scope[caller] : NULL);
	c.via = via_names(w, caller);
	xs_die_call_line(die, &c.file, &c.line);
	add(w, &c);
}

static struct clone *clone_of(struct walk *w, Dwarf_Die *die, size_t func)
{
	struct clone *v;
	Dwarf_Addr pc = 0;

	for (size_t i = 0; i < w->nclones; i++)
		if (w->clones[i].die == die->addr)
			return &w->clones[i];
	v = realloc(w->clones, (w->nclones + 1) * sizeof(*v));
	if (!v) {
		w->rc = xs_fail(-ENOMEM, "%s: out of memory listing clones", w->obj->path);
		return NULL;
	}
	w->clones = v;
	w->id[func].found++;
	xs_die_code_addr(die, &pc);
	v[w->nclones] = (struct clone){
		.die = die->addr, .entry = pc, .func = func, .replaced = covers_replaced(w, die)
	};
	return &v[w->nclones++];
}

/*
 * A concrete subprogram of a function, not at its entry: a clone (.constprop,
 * ...), or -1. A clone the payload names as a function of its own (its
 * entry is one of ours) is that function, and only counts as found.
 */
static int clone_func(struct walk *w, Dwarf_Die *die, unsigned origin_attr)
{
	Dwarf_Attribute a;
	Dwarf_Die root;
	const void *r;
	const char *name = NULL;
	bool named = false, own = false;
	int f = -1;

	if (!dwarf_attr(die, origin_attr, &a))
		return -1; /* not an instance of another DIE: the function itself */
	r = xs_die_root(die, origin_attr, &root);
	for (size_t i = 0; i < w->nid; i++) {
		if (!is_of(w, i, r, &root, &name, &named))
			continue;
		if (dwarf_haspc(die, w->id[i].entry) == 1)
			own = true;
		else if (f < 0)
			f = (int)i;
	}
	if (own && f >= 0)
		w->id[f].found++;
	return own ? -1 : f;
}

static void on_subprogram(struct walk *w, Dwarf_Die *die)
{
	int f = clone_func(w, die, DW_AT_abstract_origin);

	if (f >= 0)
		clone_of(w, die, (size_t)f);
}

static void on_call_site(struct walk *w, Dwarf_Die *die)
{
	unsigned attr =
	    dwarf_hasattr(die, DW_AT_call_origin) ? DW_AT_call_origin : DW_AT_abstract_origin;
	struct xs_copy c = { .kind = XS_COPY_CALL };
	Dwarf_Attribute a;
	Dwarf_Die callee;
	Dwarf_Addr ret, entry;
	struct clone *cl;
	int f, caller;

	if (!dwarf_attr(die, attr, &a) || !dwarf_formref_die(&a, &callee) ||
	    !xs_die_code_addr(&callee, &entry) ||
	    (f = clone_func(w, &callee, DW_AT_abstract_origin)) < 0)
		return; /* a call to a declaration, to the function itself, to another */
	cl = clone_of(w, &callee, (size_t)f);
	if (!cl)
		return;
	cl->calls++;
	caller = innermost_subprogram(w);
	if (cl->replaced || (caller >= 0 && covers_replaced(w, &w->scope[caller]))) {
		w->out->skipped++;
		return;
	}
	if ((!dwarf_attr(die, DW_AT_call_return_pc, &a) && !dwarf_attr(die, DW_AT_low_pc, &a)) ||
	    dwarf_formaddr(&a, &ret) || !ret)
		ret = 1; /* unknown: named by its caller's DWARF only */
	c.func = (size_t)f;
	c.addr = ret - 1 + w->obj->bias;
	c.holder = holder_name(w, ret - 1, caller >= 0 ? &w->scope[caller] : NULL);
	c.copy = holder_name(w, cl->entry, &callee);
	c.via = via_names(w, caller);
	/* In the inlined head of the function itself (.part): the source call is its call. */
	if (w->nscope > 0 && dwarf_tag(&w->scope[w->nscope - 1]) == DW_TAG_inlined_subroutine &&
	    match(w, &w->scope[w->nscope - 1], DW_AT_abstract_origin) == f)
		xs_die_call_line(&w->scope[w->nscope - 1], &c.file, &c.line);
	else
		xs_die_pc_line(die, ret - 1, &c.file, &c.line);
	add(w, &c);
}

/* --- the walk ------------------------------------------------------------------- */

static void visit(struct walk *w, Dwarf_Die *die);

static void visit_children(struct walk *w, Dwarf_Die *parent, bool scope)
{
	Dwarf_Die c;

	if (w->depth >= MAX_DEPTH - 1) {
		xs_debug("%s: DWARF nested deeper than %d at DIE %#llx: not followed", w->obj->path,
		         MAX_DEPTH, (unsigned long long)dwarf_dieoffset(parent));
		return;
	}
	if (dwarf_child(parent, &c) != 0)
		return;
	if (scope)
		w->scope[w->nscope++] = *parent;
	w->depth++;
	do
		visit(w, &c);
	while (!w->rc && dwarf_siblingof(&c, &c) == 0);
	w->depth--;
	if (scope)
		w->nscope--;
}

static void visit(struct walk *w, Dwarf_Die *die)
{
	Dwarf_Addr pc;

	switch (dwarf_tag(die)) {
	case DW_TAG_subprogram:
		if (!xs_die_code_addr(die, &pc))
			return; /* a declaration or an abstract instance: no code */
		on_subprogram(w, die);
		visit_children(w, die, true);
		return;
	case DW_TAG_inlined_subroutine:
		on_inlined(w, die);
		visit_children(w, die, true);
		return;
	case DW_TAG_lexical_block:
	case DW_TAG_namespace:
	case DW_TAG_module:
		visit_children(w, die, false);
		return;
	case DW_TAG_call_site:
	case DW_TAG_GNU_call_site:
		on_call_site(w, die);
		return;
	default:
		return; /* types, variables, parameters: no code inside */
	}
}

static void walk_units(struct walk *w)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t type;

	while (!w->rc && dwarf_get_units(w->dw, cu, &cu, NULL, &type, &cudie, &subdie) == 0) {
		if (type == DW_UT_skeleton && dwarf_tag(&subdie) == DW_TAG_compile_unit)
			cudie = subdie; /* split DWARF: the .dwo holds the code's DIEs */
		else if (type != DW_UT_compile && type != DW_UT_partial)
			continue;
		visit_children(w, &cudie, false);
	}
}

/* --- the function's own DIE ------------------------------------------------------- */

static void identify(struct walk *w, struct xs_copy_func *funcs)
{
	for (size_t i = 0; i < w->nid; i++) {
		Dwarf_Die die, root;

		w->id[i].entry = funcs[i].addr - w->obj->bias;
		if (!xs_dwarf_subprogram_at(w->dw, w->id[i].entry, &die))
			continue;
		funcs[i].described = true;
		w->id[i].root = xs_die_root(&die, DW_AT_abstract_origin, &root);
		if (xs_die_external(&root))
			w->id[i].ext_name = xs_die_name(&root);
		if (root.addr != die.addr)
			w->id[i].inl = xs_die_inline(&root);
		w->id[i].unit = xs_die_unit(&die, &w->id[i].unit_name);
		xs_debug("%s: %s is DIE %#llx (abstract %#llx)%s", w->obj->path, funcs[i].name,
		         (unsigned long long)dwarf_dieoffset(&die),
		         (unsigned long long)dwarf_dieoffset(&root),
		         w->id[i].ext_name ? ", external" : "");
	}
}

static bool is_hidden(const struct ident *id)
{
	return !id->found && (id->inl == DW_INL_inlined || id->inl == DW_INL_declared_inlined);
}

/* Replaced code other than the hidden functions themselves in that unit. */
static bool replaces_more_of(struct walk *w, const void *unit)
{
	for (size_t r = 0; r < w->nreplaced; r++) {
		Dwarf_Die die;
		bool hidden = false;

		for (size_t i = 0; i < w->nid && !hidden; i++)
			hidden = is_hidden(&w->id[i]) && w->id[i].entry == w->replaced[r];
		if (!hidden && xs_dwarf_subprogram_at(w->dw, w->replaced[r], &die) &&
		    xs_die_unit(&die, NULL) == unit)
			return true;
	}
	return false;
}

/* GCC inlined it (DW_AT_inline) and no instance or clone shows where: one copy
 * for the whole unit, only "maybe" when the payload replaces other functions
 * of that unit too (perhaps the callers, as `xsplice build` makes them). */
static void hidden_copies(struct walk *w)
{
	for (size_t i = 0; i < w->nid && !w->rc; i++) {
		struct ident *id = &w->id[i];
		struct xs_copy c = { .kind = XS_COPY_HIDDEN,
			             .func = i,
			             .addr = id->entry + w->obj->bias };

		if (!is_hidden(id))
			continue;
		c.maybe = replaces_more_of(w, id->unit);
		c.file = id->unit_name ? strdup(id->unit_name) : NULL;
		add(w, &c);
	}
}

/* --- clones by name ---------------------------------------------------------------- */

/* GCC's suffixes for a copy of a function's body, each followed by ".N". */
static const char *const copy_suffixes[] = { "constprop", "isra", "part", "clone", "specialized" };

/*
 * Whether what follows "sym." names a copy: a chain of those suffixes and
 * their numbers, not ending in "cold" (a copy's cold part goes with the
 * copy; "sym.cold" is the function's own, reached only from its body). Not
 * ".localalias" (the same code), ".lto_priv" (a static renamed by LTO),
 * ".omp_fn" (a body GOMP runs for it) or target clones.
 */
static bool is_copy_suffix(const char *rest)
{
	bool copy = false, cold = false;

	while (*rest) {
		size_t len = strcspn(rest, ".");
		bool known = rest[0] >= '0' && rest[0] <= '9'; /* the counter of the part before */

		if (!known) {
			cold = len == 4 && !strncmp(rest, "cold", 4);
			for (size_t i = 0; i < XS_ARRAY_SIZE(copy_suffixes); i++)
				if (strlen(copy_suffixes[i]) == len &&
				    !strncmp(rest, copy_suffixes[i], len))
					known = copy = true;
			known = known || cold;
		}
		if (!known)
			return false;
		rest += len + (rest[len] == '.');
	}
	return copy && !cold;
}

struct by_name {
	struct walk *w;
	size_t func;
};

static int on_suffixed(void *ctx, const char *copy, const char *suffix, uint64_t addr)
{
	struct by_name *b = ctx;
	struct walk *w = b->w;
	Dwarf_Addr a = addr - w->obj->bias;
	struct xs_copy c = { .kind = XS_COPY_CLONE, .func = b->func, .addr = addr };
	Dwarf_Die die;

	if (!is_copy_suffix(suffix))
		return 0;
	for (size_t i = 0; i < w->nreplaced; i++)
		if (w->replaced[i] == a)
			return 0;
	for (size_t i = 0; i < w->nclones; i++)
		if (w->clones[i].entry == a)
			return 0; /* DWARF told of it (and its calls) already */
	/* DWARF describes the code there as another function's: a namesake's clone. */
	if (w->dw && xs_dwarf_subprogram_at(w->dw, a, &die) &&
	    clone_func(w, &die, DW_AT_abstract_origin) < 0)
		return 0;
	w->id[b->func].found++;
	c.copy = strdup(copy);
	add(w, &c);
	return w->rc;
}

/* Clones DWARF shows no call into: each is one copy. */
static void uncalled_clones(struct walk *w)
{
	for (size_t i = 0; i < w->nclones && !w->rc; i++) {
		struct clone *cl = &w->clones[i];
		struct xs_copy c = { .kind = XS_COPY_CLONE, .func = cl->func };

		if (cl->replaced || cl->calls)
			continue;
		c.addr = cl->entry + w->obj->bias;
		c.copy = holder_name(w, cl->entry, NULL);
		add(w, &c);
	}
}

int xs_copies_find(struct xs_object *obj, struct xs_copy_func *funcs, size_t nfuncs,
                   const uint64_t *replaced, size_t nreplaced, struct xs_copies *out)
{
	struct walk *w = calloc(1, sizeof(*w));
	Dwarf_Addr *rep = calloc(nreplaced ? nreplaced : 1, sizeof(*rep));
	struct ident *id = calloc(nfuncs ? nfuncs : 1, sizeof(*id));
	struct xs_debuginfo d = { .fd = -1 };
	long long t[5] = { xs_now_us() };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!w || !rep || !id) {
		rc = xs_fail(-ENOMEM, "%s: out of memory looking for copies of functions",
		             obj->path);
		goto out;
	}
	for (size_t i = 0; i < nreplaced; i++)
		rep[i] = replaced[i] - obj->bias;
	*w = (struct walk){ .obj = obj,
		            .id = id,
		            .nid = nfuncs,
		            .replaced = rep,
		            .nreplaced = nreplaced,
		            .out = out };
	for (size_t i = 0; i < nfuncs; i++)
		funcs[i].described = false;
	rc = xs_debuginfo_open(obj, &d);
	w->dw = d.dw;
	t[1] = t[2] = t[3] = xs_now_us();
	if (!rc && w->dw) {
		identify(w, funcs);
		t[2] = xs_now_us();
		walk_units(w);
		uncalled_clones(w);
		rc = w->rc;
		t[3] = xs_now_us();
	}
	for (size_t i = 0; !rc && i < nfuncs; i++) {
		struct by_name b = { .w = w, .func = i };

		rc = xs_object_each_suffixed(obj, funcs[i].name, on_suffixed, &b);
		if (rc == -ENOENT) /* no such name in .symtab: nothing to find */
			rc = 0;
	}
	if (!rc && w->dw) { /* after the clone names: they count as found too */
		hidden_copies(w);
		rc = w->rc;
	}
	t[4] = xs_now_us();
	xs_debug("%s: copies: open %lld us, own DIEs %lld us, walk %lld us, clone names %lld us",
	         obj->path, t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3]);
	if (!rc && d.dw) {
		out->dwarf = d.path;
		d.path = NULL;
	} else if (!rc) {
		out->no_dwarf = d.why;
		d.why = NULL;
	}
out:
	xs_debuginfo_close(&d);
	if (w)
		free(w->clones);
	for (size_t i = 0; id && i < nfuncs; i++)
		free(id[i].unit_name);
	free(w);
	free(rep);
	free(id);
	if (rc)
		xs_copies_free(out);
	return rc;
}

void xs_copies_free(struct xs_copies *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].holder);
		free(c->v[i].via);
		free(c->v[i].copy);
		free(c->v[i].file);
	}
	free(c->v);
	free(c->dwarf);
	free(c->no_dwarf);
	memset(c, 0, sizeof(*c));
}
