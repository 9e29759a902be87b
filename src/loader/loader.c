/* SPDX-License-Identifier: MIT */
/*
 * Payload layout and linking (see loader.h). The mapping is, in order:
 * text (sections, far-call veneers, the return stub of injected calls), rodata (sections, GOT),
 * data (data and bss), per-function state. Each region starts on a page.
 */
#include "loader/loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "common/error.h"
#include "common/page.h"
#include "state/state.h"

#define PAGE xs_page_size()

static size_t place(size_t *cursor, const GElf_Shdr *sh)
{
	size_t align = sh->sh_addralign ? sh->sh_addralign : 1;
	size_t off = XS_ALIGN_UP(*cursor, align);

	*cursor = off + sh->sh_size;
	return off;
}

/* GOT slots and veneers: one per symbol that a relocation needs them for. */
static void count_slots(const struct xs_payload *p, struct xs_image *img)
{
	for (size_t s = 1; s < p->nsections; s++) {
		const struct xs_section *sec = &p->sections[s];

		if (sec->kind == XS_SEC_SKIP)
			continue;
		for (size_t r = 0; r < sec->nrelocs; r++) {
			const struct xs_reloc *rel = &sec->relocs[r];

			if (xs_arch_reloc_needs_got(rel->type) && !img->sym_got[rel->sym])
				img->sym_got[rel->sym] = ++img->ngot;
			if (xs_arch_reloc_is_branch(rel->type) &&
			    p->syms[rel->sym].shndx == SHN_UNDEF && !img->sym_veneer[rel->sym])
				img->sym_veneer[rel->sym] = ++img->nveneers;
		}
	}
}

static void layout_kind(const struct xs_payload *p, struct xs_image *img, size_t *cursor,
                        enum xs_sec_kind kind)
{
	for (size_t s = 1; s < p->nsections; s++)
		if (p->sections[s].kind == kind)
			img->sec_off[s] = place(cursor, &p->sections[s].shdr);
}

int xs_image_layout(const struct xs_payload *p, struct xs_image *img)
{
	size_t cursor = 0;

	memset(img, 0, sizeof(*img));
	img->sec_off = malloc(p->nsections * sizeof(*img->sec_off));
	img->sym_got = calloc(p->nsyms, sizeof(*img->sym_got));
	img->sym_veneer = calloc(p->nsyms, sizeof(*img->sym_veneer));
	if (!img->sec_off || !img->sym_got || !img->sym_veneer) {
		xs_image_free(img);
		return xs_fail(-ENOMEM, "%s: no memory for the layout", p->name);
	}
	for (size_t s = 0; s < p->nsections; s++)
		img->sec_off[s] = SIZE_MAX;
	count_slots(p, img);

	layout_kind(p, img, &cursor, XS_SEC_TEXT);
	img->veneer_off = cursor = XS_ALIGN_UP(cursor, 16);
	cursor += img->nveneers * XS_ARCH_VENEER_SIZE;
	img->stub_off = cursor;
	cursor += XS_ARCH_STUB_SIZE;
	img->text_size = XS_ALIGN_UP(cursor, PAGE);

	img->ro_off = cursor = img->text_size;
	layout_kind(p, img, &cursor, XS_SEC_RODATA);
	img->got_off = cursor = XS_ALIGN_UP(cursor, 8);
	cursor += img->ngot * 8;
	img->ro_size = XS_ALIGN_UP(cursor - img->ro_off, PAGE);

	img->rw_off = cursor = img->ro_off + img->ro_size;
	layout_kind(p, img, &cursor, XS_SEC_DATA);
	layout_kind(p, img, &cursor, XS_SEC_BSS);
	img->rw_size = XS_ALIGN_UP(cursor - img->rw_off, PAGE);

	img->fstate_off = img->rw_off + img->rw_size;
	img->fstate_size = XS_ALIGN_UP(p->nfuncs * sizeof(struct xs_fstate), PAGE);
	img->size = img->fstate_off + img->fstate_size;
	return 0;
}

uint64_t xs_image_sec_addr(const struct xs_image *img, unsigned shndx)
{
	if (img->sec_off[shndx] == SIZE_MAX)
		return 0;
	return img->base + img->sec_off[shndx];
}

static int symbol_values(const struct xs_payload *p, const struct xs_image *img, uint64_t *symval)
{
	for (size_t i = 1; i < p->nsyms; i++) {
		const struct xs_symbol *sym = &p->syms[i];

		if (sym->shndx == SHN_UNDEF) {
			if (!strcmp(sym->name, "_GLOBAL_OFFSET_TABLE_"))
				symval[i] = img->base + img->got_off;
			continue; /* resolved by the caller */
		}
		if (sym->shndx == SHN_ABS) {
			symval[i] = sym->value;
			continue;
		}
		if (img->sec_off[sym->shndx] == SIZE_MAX) {
			symval[i] = 0; /* in a section we do not load: refused if used */
			continue;
		}
		symval[i] = xs_image_sec_addr(img, sym->shndx) + sym->value;
	}
	return 0;
}

static int link_section(const struct xs_payload *p, struct xs_image *img, unsigned s,
                        const uint64_t *symval)
{
	const struct xs_section *sec = &p->sections[s];
	uint64_t got = img->base + img->got_off;

	for (size_t r = 0; r < sec->nrelocs; r++) {
		const struct xs_reloc *rel = &sec->relocs[r];
		const struct xs_symbol *sym = &p->syms[rel->sym];
		uint64_t P = xs_image_sec_addr(img, s) + rel->offset;
		uint64_t S = symval[rel->sym];
		uint64_t G = img->sym_got[rel->sym] ? got + 8 * (img->sym_got[rel->sym] - 1) : 0;
		unsigned char *loc = img->bytes + img->sec_off[s] + rel->offset;
		int rc;

		if (sym->shndx != SHN_UNDEF && sym->shndx != SHN_ABS &&
		    img->sec_off[sym->shndx] == SIZE_MAX)
			return xs_fail(
			    -EINVAL,
			    "%s: section %s+0x%llx: relocation against '%s' in unloaded section %s",
			    p->name, sec->name, (unsigned long long)rel->offset, sym->name,
			    p->sections[sym->shndx].name);
		rc = xs_arch_reloc_apply(rel->type, loc, P, S, rel->addend, G, got);
		if (rc == -ERANGE && img->sym_veneer[rel->sym]) {
			uint64_t veneer = img->base + img->veneer_off +
			                  XS_ARCH_VENEER_SIZE * (img->sym_veneer[rel->sym] - 1);

			rc = xs_arch_reloc_apply(rel->type, loc, P, veneer, rel->addend, G, got);
		}
		/* Not a call (those have veneers): data, or a function's address. */
		if (rc == -ERANGE && sym->shndx == SHN_UNDEF && !img->sym_veneer[rel->sym] &&
		    img->sym_obj && img->sym_obj[rel->sym])
			return xs_fail(
			    rc,
			    "%s: section %s+0x%llx: %s against '%s' (0x%llx in %s) does not fit: the code reaches it directly and the payload is out of reach of that object; compile the code so that other objects' data goes through the GOT (-fPIC, or gcc's -mno-direct-extern-access)",
			    p->name, sec->name, (unsigned long long)rel->offset,
			    xs_arch_reloc_name(rel->type), sym->name, (unsigned long long)S,
			    img->sym_obj[rel->sym]);
		if (rc)
			return xs_fail(
			    rc, "%s: section %s+0x%llx: %s against '%s' (0x%llx) does not fit",
			    p->name, sec->name, (unsigned long long)rel->offset,
			    xs_arch_reloc_name(rel->type),
			    sym->name[0] ? sym->name : p->sections[sym->shndx].name,
			    (unsigned long long)S);
	}
	return 0;
}

int xs_image_link(const struct xs_payload *p, struct xs_image *img, uint64_t base, uint64_t *symval)
{
	int rc;

	img->base = base;
	free(img->bytes);
	img->bytes = calloc(1, img->size);
	if (!img->bytes)
		return xs_fail(-ENOMEM, "%s: no memory for a %zu-byte image", p->name, img->size);
	symbol_values(p, img, symval);

	for (size_t s = 1; s < p->nsections; s++) {
		const struct xs_section *sec = &p->sections[s];

		if (sec->kind != XS_SEC_SKIP && sec->data)
			memcpy(img->bytes + img->sec_off[s], sec->data, sec->shdr.sh_size);
	}
	for (size_t i = 1; i < p->nsyms; i++) {
		if (img->sym_got[i])
			memcpy(img->bytes + img->got_off + 8 * (img->sym_got[i] - 1), &symval[i],
			       8);
		if (img->sym_veneer[i])
			xs_arch_encode_veneer(symval[i],
			                      img->bytes + img->veneer_off +
			                          XS_ARCH_VENEER_SIZE * (img->sym_veneer[i] - 1));
	}
	memcpy(img->bytes + img->stub_off, xs_arch_return_stub, XS_ARCH_STUB_SIZE);

	for (size_t s = 1; s < p->nsections; s++) {
		if (p->sections[s].kind == XS_SEC_SKIP)
			continue;
		rc = link_section(p, img, s, symval);
		if (rc)
			return rc;
	}
	return 0;
}

void xs_image_free(struct xs_image *img)
{
	free(img->sec_off);
	free(img->sym_got);
	free(img->sym_veneer);
	free(img->bytes);
	memset(img, 0, sizeof(*img));
}
