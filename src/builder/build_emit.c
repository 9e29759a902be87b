/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: from one diffed object, the partial payload: the changed and
 * new functions, the read-only data and new variables they need, references
 * to everything else the running binary already has (by name, file-locals as
 * "file.c#name"), .xsplice.funcs entries and the target note.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

struct closure {
	unsigned *v;
	size_t n, cap;
};

static int push(struct xb_pair *pr, struct closure *c, unsigned i)
{
	if (pr->patched->sec[i].include)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		unsigned *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	pr->patched->sec[i].include = true;
	c->v[c->n++] = i;
	return 0;
}

static bool has_twin(const struct xb_pair *pr, const struct xb_target *t)
{
	return t->kind == XB_T_NAMED && pr->patched->sym[t->sym].twin;
}

/* Does the payload need its own copy of what r points at? (No: the running
 * binary's, by name.) Refuses what it can neither copy nor name. */
static int need(struct xb_pair *pr, const struct xb_sec *from, const struct xb_rel *r,
                struct closure *c)
{
	const struct xb_obj *p = pr->patched;
	struct xb_target t;
	const struct xb_sec *s;

	xb_rel_target(p, r, &t);
	if (t.kind == XB_T_UNDEF)
		return 0;
	s = &p->sec[t.sec];
	if (s->include)
		return 0;
	if (xb_sec_is_text(s)) {
		if (s->state != XB_SAME || (s->parent && p->sec[s->parent].include))
			return push(pr, c, t.sec);
		if (has_twin(pr, &t))
			return 0;
	} else if (!(s->sh.sh_flags & SHF_ALLOC)) {
		/* not loaded: cannot be referenced from code */
	} else if (s->sh.sh_flags & SHF_TLS) {
		if (has_twin(pr, &t))
			return 0;
		return xs_fail(-EOPNOTSUPP, "%s: %s: new thread-local variable %s is not supported",
		               pr->rel_path, from->name, p->sym[t.sym].name);
	} else if (xb_sec_is_rodata(s)) {
		return push(pr, c, t.sec); /* read-only: a copy is as good */
	} else {
		if (has_twin(pr, &t))
			return 0; /* existing variable: the process's own */
		if (!s->twin || t.kind == XB_T_NAMED)
			return push(pr, c, t.sec); /* a new variable */
	}
	return xs_fail(
	    -EOPNOTSUPP,
	    "%s: %s refers to %s%+lld, which has no name to find it by in the running binary",
	    pr->rel_path, from->name, s->name, (long long)t.addend);
}

/* Changed and new functions, then everything they need, transitively. */
static int close_over(struct xb_pair *pr)
{
	struct xb_obj *p = pr->patched;
	struct closure c = { 0 };
	int rc = 0;

	for (size_t i = 1; i < p->nsec && !rc; i++)
		if (xb_sec_is_text(&p->sec[i]) && p->sec[i].state != XB_SAME)
			rc = push(pr, &c, (unsigned)i);
	for (size_t k = 0; k < c.n && !rc; k++) {
		const struct xb_sec *s = &p->sec[c.v[k]];

		for (size_t j = 0; j < s->nrel && !rc; j++)
			rc = need(pr, s, &s->rel[j], &c);
	}
	free(c.v);
	return rc;
}

int xb_emit_rel_sym(struct xb_pair *pr, struct xb_writer *w, const struct xb_rel *r, unsigned *sym,
                    int64_t *addend)
{
	struct xb_obj *p = pr->patched;
	struct xb_sym *s = &p->sym[r->sym];
	unsigned shndx = s->s.st_shndx;
	struct xb_target t;
	char name[1024];
	int rc;

	*addend = r->addend;
	if (shndx != SHN_UNDEF && shndx < p->nsec && p->sec[shndx].include) {
		if (s->type == STT_SECTION)
			*sym = xbw_section_symbol(w, p->sec[shndx].out);
		else if (!s->out)
			*sym = s->out = xbw_symbol(w, s->name, s->bind, s->type, p->sec[shndx].out,
			                           s->s.st_value, s->s.st_size);
		else
			*sym = s->out;
		return 0;
	}
	if (shndx == SHN_UNDEF) {
		*sym = xbw_undef(w, s->name, s->bind);
		return 0;
	}
	xb_rel_target(p, r, &t);
	if (t.kind != XB_T_NAMED || !p->sym[t.sym].twin)
		return xs_fail(
		    -EOPNOTSUPP,
		    "%s: relocation to %s%+lld: not in the payload and not in the running binary",
		    pr->rel_path, s->name[0] ? s->name : p->sec[shndx].name, (long long)r->addend);
	rc = xb_ref_name(pr->orig, p->sym[t.sym].twin, name, sizeof(name));
	if (rc)
		return rc;
	*sym = xbw_undef(w, name, STB_GLOBAL);
	*addend = t.addend;
	return 0;
}

/* Included sections with their named symbols and relocations. */
static int copy_sections(struct xb_pair *pr, struct xb_writer *w)
{
	struct xb_obj *p = pr->patched;
	int rc = 0;

	for (size_t i = 1; i < p->nsec; i++) {
		struct xb_sec *s = &p->sec[i];

		if (s->include)
			s->out = xbw_section(w, s->name, &s->sh, s->data);
	}
	for (size_t i = 1; i < p->nsym; i++) {
		struct xb_sym *s = &p->sym[i];

		if (s->s.st_shndx && s->s.st_shndx < p->nsec && p->sec[s->s.st_shndx].include &&
		    s->type != STT_SECTION && s->type != STT_FILE && s->name[0] && !s->out)
			s->out = xbw_symbol(w, s->name, s->bind, s->type, p->sec[s->s.st_shndx].out,
			                    s->s.st_value, s->s.st_size);
	}
	for (size_t i = 1; i < p->nsec && !rc; i++) {
		struct xb_sec *s = &p->sec[i];

		for (size_t k = 0; s->include && k < s->nrel && !rc; k++) {
			unsigned sym;
			int64_t addend;

			rc = xb_emit_rel_sym(pr, w, &s->rel[k], &sym, &addend);
			if (!rc)
				rc = xbw_reloc(w, s->out, s->rel[k].off, s->rel[k].type, sym,
				               addend);
		}
	}
	return rc;
}

/* One struct xsplice_func per changed function: its name in the running
 * binary, a pointer to the new code and the bytes the running binary has at
 * its entry (found by xb_match_target). */
static int emit_funcs(struct xb_pair *pr, struct xb_writer *w)
{
	struct xb_obj *p = pr->patched;
	GElf_Shdr fsh = { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC, .sh_addralign = 8 };
	GElf_Shdr nsh = { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC, .sh_addralign = 1 };
	char *names = NULL, name[1024];
	size_t len = 0, n = 0;
	unsigned fsec, nsec, nsym;
	int rc = 0;

	for (size_t i = 1; i < p->nsec && !rc; i++) {
		const struct xb_sec *s = &p->sec[i];
		size_t l;
		char *v;

		if (s->state != XB_CHANGED || s->parent)
			continue;
		rc = xb_ref_name(pr->orig, p->sym[s->func].twin, name, sizeof(name));
		l = strlen(name) + 1;
		v = rc ? NULL : realloc(names, len + l);
		if (!rc && !v)
			rc = -ENOMEM;
		if (rc)
			break;
		names = v;
		memcpy(names + len, name, l);
		len += l;
		n++;
	}
	if (rc || !n) {
		free(names);
		return rc;
	}
	fsh.sh_size = n * sizeof(struct xsplice_func);
	nsh.sh_size = len;
	fsec = xbw_section(w, XSPLICE_FUNCS_SECTION, &fsh, NULL);
	nsec = xbw_section(w, ".xsplice.names", &nsh, names);
	free(names);
	if (!fsec || !nsec)
		return -ENOMEM;
	nsym = xbw_section_symbol(w, nsec);
	len = 0;
	n = 0;
	for (size_t i = 1; i < p->nsec && !rc; i++) {
		const struct xb_sec *s = &p->sec[i];
		uint64_t at = n * sizeof(struct xsplice_func);
		unsigned fn;

		if (s->state != XB_CHANGED || s->parent)
			continue;
		xbw_section_data(w, fsec)[at + offsetof(struct xsplice_func, version)] =
		    XSPLICE_FUNC_VERSION;
		memcpy(xbw_section_data(w, fsec) + at + offsetof(struct xsplice_func, expect),
		       &s->expect, sizeof(s->expect));
		fn = p->sym[s->func].out ? p->sym[s->func].out : xbw_section_symbol(w, s->out);
		rc = xbw_reloc(w, fsec, at + offsetof(struct xsplice_func, name), XS_ARCH_RELOC_PTR,
		               nsym, (int64_t)len);
		if (!rc)
			rc = xbw_reloc(w, fsec, at + offsetof(struct xsplice_func, new_addr),
			               XS_ARCH_RELOC_PTR, fn, 0);
		xb_ref_name(pr->orig, p->sym[s->func].twin, name, sizeof(name));
		len += strlen(name) + 1;
		n++;
	}
	return rc;
}

static int emit_note(struct xb_writer *w, const struct xs_build_id *id)
{
	size_t desc = XS_ALIGN_UP(id->len, 4), size = 12 + 8 + desc;
	GElf_Shdr sh = {
		.sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC, .sh_addralign = 4, .sh_size = size
	};
	unsigned sec = xbw_section(w, XSPLICE_NOTE_SECTION, &sh, NULL);
	unsigned char *d;
	uint32_t hdr[3] = { sizeof(XSPLICE_NOTE_NAME), (uint32_t)id->len, XSPLICE_NOTE_TARGET };

	_Static_assert(sizeof(XSPLICE_NOTE_NAME) == 8, "note name padding");
	if (!sec)
		return -ENOMEM;
	d = xbw_section_data(w, sec);
	memcpy(d, hdr, 12);
	memcpy(d + 12, XSPLICE_NOTE_NAME, sizeof(XSPLICE_NOTE_NAME));
	memcpy(d + 20, id->bytes, id->len);
	return 0;
}

int xb_emit_object(struct xb_pair *pr, const char *path, const struct xs_build_id *target)
{
	struct xb_writer *w;
	int rc = xbw_new(&w);

	if (rc)
		return rc;
	rc = close_over(pr);
	if (!rc)
		rc = copy_sections(pr, w);
	if (!rc)
		rc = emit_funcs(pr, w);
	if (!rc)
		rc = xb_emit_ehframe(pr, w);
	if (!rc && target)
		rc = emit_note(w, target);
	if (!rc)
		rc = xbw_write(w, path);
	xbw_free(w);
	return rc;
}
