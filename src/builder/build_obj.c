/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: one relocatable object read whole with libelf into arrays
 * (sections with their relocations, symbols), and the small facts about
 * names and relocation types the diff and the emitter share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

void xb_rel_mask(const struct xb_rel *r, uint64_t *from, uint64_t *to)
{
	const struct xs_arch_reloc_info *ri = xs_arch_reloc_info(r->type);

	*from = r->off;
	*to = r->off + ri->width;
	if (*from >= ri->relax_before)
		*from -= ri->relax_before;
}

/* "counter.12" -> "counter"; "foo.part.0" -> "foo.part"; "foo.cold" stays. */
size_t xb_stem_len(const char *name)
{
	size_t n = strlen(name), i = n;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (i < n && i > 1 && name[i - 1] == '.')
		return i - 1;
	return n;
}

bool xb_same_stem(const char *a, const char *b)
{
	size_t la = xb_stem_len(a), lb = xb_stem_len(b);

	return la == lb && !memcmp(a, b, la);
}

bool xb_sec_is_text(const struct xb_sec *s)
{
	return (s->sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) == (SHF_ALLOC | SHF_EXECINSTR);
}

/* Data nobody writes: .rodata*, and .data.rel.ro* (const data that needs
 * relocations, read-only once relocated). Copied with the code that uses it. */
bool xb_sec_is_rodata(const struct xb_sec *s)
{
	uint64_t f = s->sh.sh_flags;

	if (!(f & SHF_ALLOC) || (f & (SHF_EXECINSTR | SHF_TLS)))
		return false;
	return !(f & SHF_WRITE) || !strncmp(s->name, ".data.rel.ro", 12);
}

static int cmp_rel(const void *a, const void *b)
{
	const struct xb_rel *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int read_relocs(struct xb_obj *o, size_t shstrndx, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	struct xb_sec *t;

	(void)shstrndx;
	if (sh->sh_type == SHT_REL)
		return xs_fail(-EOPNOTSUPP,
		               "%s: SHT_REL relocations (" XS_ARCH_LABEL " objects use RELA)",
		               o->path);
	if (sh->sh_info >= o->nsec || sh->sh_link >= o->nsec || !d)
		return xs_fail(-EINVAL, "%s: malformed relocation section", o->path);
	t = &o->sec[sh->sh_info];
	t->rel = calloc(n ? n : 1, sizeof(*t->rel));
	if (!t->rel)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;

		if (!gelf_getrela(d, (int)i, &r))
			return xs_fail(-EINVAL, "%s: relocation %zu of %s unreadable", o->path, i,
			               t->name);
		t->rel[i] = (struct xb_rel){ r.r_offset, GELF_R_TYPE(r.r_info),
			                     GELF_R_SYM(r.r_info), r.r_addend };
		if (t->rel[i].sym >= o->nsym)
			return xs_fail(-EINVAL, "%s: relocation %zu of %s: bad symbol", o->path, i,
			               t->name);
	}
	t->nrel = n;
	qsort(t->rel, n, sizeof(*t->rel), cmp_rel);
	return 0;
}

static int read_symtab(struct xb_obj *o, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	o->nsym = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	o->sym = calloc(o->nsym ? o->nsym : 1, sizeof(*o->sym));
	if (!o->sym || !d)
		return -ENOMEM;
	for (size_t i = 0; i < o->nsym; i++) {
		struct xb_sym *s = &o->sym[i];
		const char *name;

		if (!gelf_getsym(d, (int)i, &s->s))
			return xs_fail(-EINVAL, "%s: symbol %zu unreadable", o->path, i);
		name = elf_strptr(o->elf, sh->sh_link, s->s.st_name);
		s->name = name ? name : "";
		s->type = GELF_ST_TYPE(s->s.st_info);
		s->bind = GELF_ST_BIND(s->s.st_info);
		if (s->type == STT_FILE && !o->file) {
			const char *b = strrchr(s->name, '/');

			o->file = strdup(b ? b + 1 : s->name);
			if (!o->file)
				return -ENOMEM;
		}
		if (s->s.st_shndx >= o->nsec && s->s.st_shndx < SHN_LORESERVE)
			return xs_fail(-EINVAL, "%s: symbol %s: bad section index", o->path,
			               s->name);
	}
	return 0;
}

/* Sections, then the symbol table, then relocations (which need both). */
static int read_all(struct xb_obj *o)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	int rc = 0;

	if (!gelf_getehdr(o->elf, &eh) || eh.e_type != ET_REL ||
	    eh.e_machine != xs_arch_elf_machine() || gelf_getclass(o->elf) != XS_ARCH_ELF_CLASS)
		return xs_fail(-ENOEXEC, "%s: not an " XS_ARCH_LABEL " relocatable object",
		               o->path);
	if (elf_getshdrnum(o->elf, &o->nsec) || elf_getshdrstrndx(o->elf, &shstrndx))
		return xs_fail(-EINVAL, "%s: unreadable section headers", o->path);
	o->sec = calloc(o->nsec, sizeof(*o->sec));
	if (!o->sec)
		return -ENOMEM;
	while ((scn = elf_nextscn(o->elf, scn))) {
		struct xb_sec *s = &o->sec[elf_ndxscn(scn)];
		Elf_Data *d;

		gelf_getshdr(scn, &s->sh);
		s->name = elf_strptr(o->elf, shstrndx, s->sh.sh_name);
		if (!s->name)
			s->name = "";
		d = s->sh.sh_type == SHT_NOBITS ? NULL : elf_getdata(scn, NULL);
		if (d && d->d_size == s->sh.sh_size && d->d_size)
			s->data = d->d_buf;
		if (s->sh.sh_type == SHT_SYMTAB)
			rc = read_symtab(o, scn, &s->sh);
		if (rc)
			return rc;
	}
	if (!o->sym)
		return xs_fail(-EINVAL, "%s: no symbol table", o->path);
	while ((scn = elf_nextscn(o->elf, scn)) && !rc) {
		GElf_Shdr sh;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_RELA || sh.sh_type == SHT_REL)
			rc = read_relocs(o, shstrndx, scn, &sh);
	}
	return rc;
}

/* The function a text section holds, and where .cold fragments belong. */
static void find_funcs(struct xb_obj *o)
{
	for (size_t i = 1; i < o->nsym; i++) {
		const struct xb_sym *s = &o->sym[i];

		if (s->type == STT_FUNC && s->s.st_shndx && s->s.st_shndx < o->nsec &&
		    s->s.st_value == 0 && !o->sec[s->s.st_shndx].func)
			o->sec[s->s.st_shndx].func = (unsigned)i;
	}
	for (size_t i = 1; i < o->nsec; i++) {
		struct xb_sec *s = &o->sec[i];
		const char *name = s->func ? o->sym[s->func].name : NULL;
		size_t len = name ? strlen(name) : 0;

		if (!name || len < 6 || !strstr(name, ".cold"))
			continue;
		len = (size_t)(strstr(name, ".cold") - name);
		for (size_t j = 1; j < o->nsym; j++) {
			const struct xb_sym *p = &o->sym[j];

			if (p->type == STT_FUNC && strlen(p->name) == len &&
			    !strncmp(p->name, name, len) && p->s.st_shndx < o->nsec) {
				s->parent = p->s.st_shndx;
				break;
			}
		}
	}
}

int xb_obj_open(const char *path, struct xb_obj **out)
{
	struct xb_obj *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	o->path = strdup(path);
	if (!o->path) {
		free(o);
		return -ENOMEM;
	}
	rc = xs_read_file("object", path, 1u << 30, &o->image, &o->size);
	if (rc) {
		xs_fail(rc, "cannot read object %s", path);
		goto fail;
	}
	elf_version(EV_CURRENT);
	o->elf = elf_memory((char *)o->image, o->size);
	if (!o->elf) {
		rc = xs_fail(-EINVAL, "%s: %s", path, elf_errmsg(-1));
		goto fail;
	}
	rc = read_all(o);
	if (rc)
		goto fail;
	if (!o->file)
		o->file = strdup("");
	find_funcs(o);
	*out = o;
	return 0;
fail:
	xb_obj_free(o);
	return rc;
}

void xb_obj_free(struct xb_obj *o)
{
	if (!o)
		return;
	for (size_t i = 0; o->sec && i < o->nsec; i++) {
		free(o->sec[i].rel);
		free(o->sec[i].marks);
	}
	free(o->sec);
	free(o->sym);
	free(o->file);
	if (o->elf)
		elf_end(o->elf);
	free(o->image);
	free(o->path);
	free(o);
}

bool xb_obj_lto(const struct xb_obj *o)
{
	for (size_t i = 1; i < o->nsec; i++)
		if (o->sec[i].name && !strncmp(o->sec[i].name, ".gnu.lto_", 9))
			return true;
	return false;
}

/* Named symbol of section sec covering offset off, 0: none. */
static unsigned named_at(const struct xb_obj *o, unsigned sec, int64_t off)
{
	unsigned only = 0, count = 0;

	for (size_t i = 1; i < o->nsym; i++) {
		const struct xb_sym *s = &o->sym[i];

		if (s->s.st_shndx != sec ||
		    (s->type != STT_FUNC && s->type != STT_OBJECT && s->type != STT_TLS))
			continue;
		if (off >= (int64_t)s->s.st_value &&
		    (off < (int64_t)(s->s.st_value + s->s.st_size) ||
		     (s->s.st_size == 0 && off == (int64_t)s->s.st_value)))
			return (unsigned)i;
		only = (unsigned)i;
		count++;
	}
	/* A section holding one variable: "p + 16" past its end is still it. */
	return count == 1 && o->sym[only].s.st_value == 0 ? only : 0;
}

void xb_rel_target(const struct xb_obj *o, const struct xb_rel *r, struct xb_target *t)
{
	const struct xb_sym *s = &o->sym[r->sym];
	unsigned shndx = s->s.st_shndx;

	*t = (struct xb_target){ .sym = r->sym, .addend = r->addend };
	if (shndx == SHN_UNDEF || shndx >= o->nsec) {
		t->kind = XB_T_UNDEF;
		return;
	}
	t->sec = shndx;
	if (s->type == STT_NOTYPE && s->bind == STB_LOCAL) {
		/* An assembler label kept for a merged section (.LC0): as good
		 * as the section plus its offset. */
		t->kind = XB_T_SECTION;
		t->addend = r->addend + (int64_t)s->s.st_value;
		return;
	}
	if (s->type != STT_SECTION) {
		t->kind = XB_T_NAMED;
		return;
	}
	/* PC-relative: the field is usually 4 bytes before the next instruction. */
	int64_t off = r->addend + (xs_arch_reloc_info(r->type)->pc_bias);
	unsigned n = named_at(o, shndx, off);

	if (n && !(o->sec[shndx].sh.sh_flags & SHF_MERGE)) {
		t->kind = XB_T_NAMED;
		t->sym = n;
		t->addend = r->addend - (int64_t)o->sym[n].s.st_value;
		return;
	}
	t->kind = XB_T_SECTION;
}
