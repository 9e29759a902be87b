/* SPDX-License-Identifier: MIT */
/*
 * Payload reader, part 2: the symbol table and the relocations (checked and
 * kept on the section they apply to, sorted by offset), and pointer slots
 * resolved through them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "common/error.h"
#include "payload/payload_priv.h"

static const char *sym_label(const struct xs_symbol *s)
{
	return s->name && s->name[0] ? s->name : "(unnamed)";
}

static int check_shndx(const struct xs_payload *p, size_t i, const struct xs_symbol *s)
{
	const char *n = p->name, *sn = sym_label(s);

	if (s->shndx == SHN_UNDEF || s->shndx == SHN_ABS)
		return 0;
	if (s->shndx == SHN_COMMON)
		return xs_fail(
		    -EINVAL,
		    "%s: symbol [%zu] %s: common symbol: compile the payload with -fno-common", n,
		    i, sn);
	if (s->shndx == SHN_XINDEX)
		return xs_fail(
		    -EINVAL,
		    "%s: symbol [%zu] %s: extended section index (SHN_XINDEX) is not supported", n,
		    i, sn);
	/* Processor-specific ones too (x86-64's large common, ...). */
	if (s->shndx >= SHN_LORESERVE)
		return xs_fail(
		    -EINVAL,
		    "%s: symbol [%zu] %s: special section index 0x%x is not supported (for a common symbol: compile with -fno-common)",
		    n, i, sn, s->shndx);
	if (s->shndx >= p->nsections)
		return xs_fail(-EINVAL,
		               "%s: symbol [%zu] %s: section index %u out of range (%zu sections)",
		               n, i, sn, s->shndx, p->nsections);
	return 0;
}

static int check_symbol(struct xs_pl_ctx *c, size_t i, const GElf_Sym *sym)
{
	struct xs_payload *p = c->p;
	const struct xs_section *str = &p->sections[c->strtab];
	struct xs_symbol *s = &p->syms[i];
	const GElf_Shdr *sh;
	int rc;

	if (sym->st_name >= str->shdr.sh_size)
		return xs_fail(-EINVAL,
		               "%s: symbol [%zu]: name offset %u is outside [%u] %s (%llu bytes)",
		               p->name, i, sym->st_name, c->strtab, str->name,
		               (unsigned long long)str->shdr.sh_size);
	/* The string table ends with NUL (checked), so the name is terminated. */
	s->name = (const char *)str->data + sym->st_name;
	if (!xs_pl_printable(s->name))
		return xs_fail(-EINVAL, "%s: symbol [%zu]: name contains control characters",
		               p->name, i);
	s->value = sym->st_value;
	s->size = sym->st_size;
	s->type = GELF_ST_TYPE(sym->st_info);
	s->bind = GELF_ST_BIND(sym->st_info);
	s->shndx = sym->st_shndx;
	rc = check_shndx(p, i, s);
	if (rc || s->shndx == SHN_UNDEF || s->shndx == SHN_ABS)
		return rc;
	sh = &p->sections[s->shndx].shdr;
	if (s->value > sh->sh_size || s->size > sh->sh_size - s->value)
		return xs_fail(
		    -EINVAL,
		    "%s: symbol [%zu] %s: value 0x%llx size 0x%llx is outside section [%u] %s (size 0x%llx)",
		    p->name, i, sym_label(s), (unsigned long long)s->value,
		    (unsigned long long)s->size, s->shndx, xs_pl_secname(p, s->shndx),
		    (unsigned long long)sh->sh_size);
	return 0;
}

/* libelf's view of a section's entries; its size must be what we checked. */
static Elf_Data *section_entries(const struct xs_payload *p, unsigned i, Elf_Type type)
{
	Elf_Data *d = elf_getdata(elf_getscn(p->elf, i), NULL);

	if (!d || d->d_type != type || d->d_size != p->sections[i].shdr.sh_size ||
	    (d->d_size && !d->d_buf)) {
		xs_fail(-EINVAL, "%s: section [%u] %s: libelf cannot read its entries: %s", p->name,
		        i, p->sections[i].name, elf_errmsg(-1));
		return NULL;
	}
	return d;
}

int xs_pl_read_symbols(struct xs_pl_ctx *c)
{
	struct xs_payload *p = c->p;
	size_t n = p->sections[c->symtab].shdr.sh_size / sizeof(Elf64_Sym);
	Elf_Data *d = section_entries(p, c->symtab, ELF_T_SYM);
	int rc = 0;

	if (!d)
		return -EINVAL;
	p->syms = calloc(n, sizeof(*p->syms));
	if (!p->syms)
		return xs_fail(-ENOMEM, "%s: cannot allocate %zu symbols", p->name, n);
	p->nsyms = n;
	for (size_t i = 0; i < n && !rc; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(d, (int)i, &sym))
			return xs_fail(-EINVAL, "%s: symbol [%zu]: libelf cannot read it: %s",
			               p->name, i, elf_errmsg(-1));
		rc = check_symbol(c, i, &sym);
	}
	return rc;
}

static int check_rela_header(struct xs_pl_ctx *c, unsigned i)
{
	struct xs_payload *p = c->p;
	const struct xs_section *s = &p->sections[i];
	unsigned to = s->shdr.sh_info;
	unsigned type;

	if (s->shdr.sh_link != c->symtab)
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: sh_link %u is not the symbol table [%u]",
		               p->name, i, s->name, s->shdr.sh_link, c->symtab);
	if (to == 0 || to >= p->nsections)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: applies to section %u, out of range (%zu sections)",
		    p->name, i, s->name, to, p->nsections);
	type = p->sections[to].shdr.sh_type;
	if (type == SHT_RELA || type == SHT_REL || type == SHT_SYMTAB || type == SHT_NOBITS ||
	    type == SHT_NULL)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: applies to section [%u] %s of type %u, which cannot be relocated",
		    p->name, i, s->name, to, p->sections[to].name, type);
	if (s->shdr.sh_entsize != sizeof(Elf64_Rela) || s->shdr.sh_size % sizeof(Elf64_Rela))
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: entry size %llu and size %llu do not make an array of %zu-byte relocations",
		    p->name, i, s->name, (unsigned long long)s->shdr.sh_entsize,
		    (unsigned long long)s->shdr.sh_size, sizeof(Elf64_Rela));
	if (p->sections[to].relocs)
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: a second relocation section for [%u] %s",
		               p->name, i, s->name, to, p->sections[to].name);
	return 0;
}

static int check_rela(struct xs_pl_ctx *c, unsigned i, size_t k, const GElf_Rela *r,
                      struct xs_reloc *out)
{
	struct xs_payload *p = c->p;
	const struct xs_section *s = &p->sections[i];
	const struct xs_section *to = &p->sections[s->shdr.sh_info];
	uint32_t type = GELF_R_TYPE(r->r_info);
	uint64_t sym = GELF_R_SYM(r->r_info);
	int width = xs_arch_reloc_width(type);

	if (sym >= p->nsyms)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: relocation %zu at offset 0x%llx: symbol index %llu out of range (%zu symbols)",
		    p->name, i, s->name, k, (unsigned long long)r->r_offset,
		    (unsigned long long)sym, p->nsyms);
	if (width < 0) /* name the symbol: "tls_counter" says more than TLSGD */
		return xs_fail(
		    -EOPNOTSUPP,
		    "%s: section [%u] %s: relocation %zu at offset 0x%llx of %s against '%s': unsupported type %s (%u)",
		    p->name, i, s->name, k, (unsigned long long)r->r_offset, to->name,
		    p->syms && p->syms[sym].name ? p->syms[sym].name : "?",
		    xs_arch_reloc_name(type), type);
	if (r->r_offset > to->shdr.sh_size || (uint64_t)width > to->shdr.sh_size - r->r_offset)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: relocation %zu (%s) at offset 0x%llx + %d bytes is outside [%u] %s (size 0x%llx)",
		    p->name, i, s->name, k, xs_arch_reloc_name(type),
		    (unsigned long long)r->r_offset, width, s->shdr.sh_info, to->name,
		    (unsigned long long)to->shdr.sh_size);
	*out = (struct xs_reloc){ r->r_offset, type, (uint32_t)sym, r->r_addend };
	return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct xs_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Relocations writing the same bytes of loaded data would make the result depend on order. */
static int check_reloc_overlaps(const struct xs_payload *p, unsigned rela, unsigned to)
{
	const struct xs_section *s = &p->sections[to];

	if (!(s->shdr.sh_flags & SHF_ALLOC))
		return 0;
	for (size_t k = 1; k < s->nrelocs; k++) {
		const struct xs_reloc *a = &s->relocs[k - 1], *b = &s->relocs[k];

		if (a->offset + (uint64_t)xs_arch_reloc_width(a->type) > b->offset)
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: relocations at offsets 0x%llx and 0x%llx of [%u] %s overlap",
			    p->name, rela, p->sections[rela].name, (unsigned long long)a->offset,
			    (unsigned long long)b->offset, to, s->name);
	}
	return 0;
}

static int read_rela(struct xs_pl_ctx *c, unsigned i)
{
	struct xs_payload *p = c->p;
	struct xs_section *to;
	size_t n = p->sections[i].shdr.sh_size / sizeof(Elf64_Rela);
	Elf_Data *d;
	int rc = check_rela_header(c, i);

	if (rc)
		return rc;
	d = section_entries(p, i, ELF_T_RELA);
	if (!d)
		return -EINVAL;
	to = &p->sections[p->sections[i].shdr.sh_info];
	/* At least one element: a non-NULL array marks the target as taken. */
	to->relocs = calloc(n ? n : 1, sizeof(*to->relocs));
	if (!to->relocs)
		return xs_fail(-ENOMEM, "%s: section [%u] %s: cannot allocate %zu relocations",
		               p->name, i, p->sections[i].name, n);
	for (size_t k = 0; k < n; k++) {
		GElf_Rela r;

		if (!gelf_getrela(d, (int)k, &r))
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: relocation %zu: libelf cannot read it: %s",
			    p->name, i, p->sections[i].name, k, elf_errmsg(-1));
		rc = check_rela(c, i, k, &r, &to->relocs[k]);
		if (rc)
			return rc;
		to->nrelocs = k + 1;
	}
	/* Sorted by offset so slots are found by binary search. */
	qsort(to->relocs, n, sizeof(*to->relocs), cmp_reloc);
	return check_reloc_overlaps(p, i, p->sections[i].shdr.sh_info);
}

/* Step 4: every SHT_RELA section, kept on the section it applies to. */
int xs_pl_read_relocs(struct xs_pl_ctx *c)
{
	struct xs_payload *p = c->p;
	int rc = 0;

	for (unsigned i = 1; i < p->nsections && !rc; i++) {
		const struct xs_section *s = &p->sections[i];

		if (s->shdr.sh_type == SHT_REL)
			rc = xs_fail(
			    -EOPNOTSUPP,
			    "%s: section [%u] %s: SHT_REL relocations are not supported (" XS_ARCH_LABEL
			    " payloads use SHT_RELA)",
			    p->name, i, s->name);
		else if (s->shdr.sh_type == SHT_RELA)
			rc = read_rela(c, i);
	}
	return rc;
}

/* First relocation of s at or after offset off. */
static size_t reloc_lower_bound(const struct xs_section *s, uint64_t off)
{
	size_t lo = 0, hi = s->nrelocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->relocs[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *xs_pl_slot(const struct xs_payload *p, unsigned shndx, uint64_t off, uint32_t *sym,
                       int64_t *addend)
{
	const struct xs_section *s;
	const struct xs_reloc *found = NULL;
	const uint64_t w = XS_ARCH_PTR_SIZE;
	uint64_t v;

	if (shndx == 0 || shndx >= p->nsections)
		return "no such section";
	s = &p->sections[shndx];
	if (!s->data)
		return "the section has no data";
	if (off > s->shdr.sh_size || w > s->shdr.sh_size - off)
		return "the slot is outside the section";
	/* Relocations are at most pointer-sized: only those starting in (off - w, off + w) can touch the slot. */
	for (size_t k = reloc_lower_bound(s, off >= w ? off - w + 1 : 0);
	     k < s->nrelocs && s->relocs[k].offset < off + w; k++) {
		const struct xs_reloc *r = &s->relocs[k];

		if (r->offset < off && r->offset + (uint64_t)xs_arch_reloc_width(r->type) <= off)
			continue;
		if (r->offset != off || !xs_arch_reloc_is_abs_pointer(r->type))
			return "a relocation other than an absolute pointer touches the slot";
		if (found)
			return "two relocations for one slot";
		found = r;
	}
	if (!found) {
		memcpy(&v, s->data + off, sizeof(v));
		if (v)
			return "a non-zero value without a relocation (absolute address)";
		*sym = 0;
		*addend = 0;
		return NULL;
	}
	if (found->sym == 0)
		return "a relocation against the null symbol";
	*sym = found->sym;
	*addend = found->addend;
	return NULL;
}

int xs_payload_pointer_at(const struct xs_payload *p, unsigned shndx, uint64_t offset,
                          uint32_t *sym, int64_t *addend)
{
	const char *why = xs_pl_slot(p, shndx, offset, sym, addend);

	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: pointer at offset 0x%llx: %s",
		               p->name, shndx, xs_pl_secname(p, shndx), (unsigned long long)offset,
		               why);
	return 0;
}

const char *xs_pl_code_target(const struct xs_payload *p, uint32_t sym, int64_t addend)
{
	const struct xs_symbol *s;
	const struct xs_section *sec;
	int64_t off;

	if (sym == 0 || sym >= p->nsyms)
		return "no symbol";
	s = &p->syms[sym];
	if (s->shndx == SHN_UNDEF)
		return "is not defined in the payload";
	if (s->shndx == SHN_ABS || s->shndx >= p->nsections)
		return "is an absolute symbol";
	sec = &p->sections[s->shndx];
	if (sec->kind != XS_SEC_TEXT)
		return "is not in an executable section";
	if (s->type != STT_FUNC && s->type != STT_SECTION)
		return "is not a function";
	/* value <= section size <= 64 MiB: fits int64_t. */
	if (__builtin_add_overflow((int64_t)s->value, addend, &off) || off < 0 ||
	    (uint64_t)off >= sec->shdr.sh_size)
		return "points outside its section";
	return NULL;
}
