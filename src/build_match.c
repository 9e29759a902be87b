/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: is the tree we built the code that runs? Every function the
 * payload replaces, as compiled from orig/, must be byte for byte the one in
 * the target binary on disk (found in its .symtab by name and source file),
 * apart from the fields the linker fills in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "error.h"

struct tgt {
	const char *path;
	unsigned char *image;
	size_t size;
	Elf *elf;
	Elf_Data *syms;
	size_t nsyms, strndx;
};

static int tgt_open(const char *path, struct tgt *t)
{
	Elf_Scn *scn = NULL;
	int rc;

	t->path = path;
	rc = xs_read_file("target", path, 1u << 31, &t->image, &t->size);
	if (rc)
		return xs_fail(rc, "cannot read the target %s", path);
	elf_version(EV_CURRENT);
	t->elf = elf_memory((char *)t->image, t->size);
	if (!t->elf || elf_kind(t->elf) != ELF_K_ELF)
		return xs_fail(-ENOEXEC, "%s: not an ELF file", path);
	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_entsize) {
			t->syms = elf_getdata(scn, NULL);
			t->nsyms = sh.sh_size / sh.sh_entsize;
			t->strndx = sh.sh_link;
		}
	}
	if (!t->syms)
		return xs_fail(-ENOENT, "%s has no .symtab (stripped?): cannot check that the build matches it",
			       path);
	return 0;
}

static void tgt_close(struct tgt *t)
{
	if (t->elf)
		elf_end(t->elf);
	free(t->image);
}

/* The target's symbol for orig's symbol s: a global by name, a local by name
 * inside the STT_FILE block of its source file. */
static bool tgt_lookup(const struct tgt *t, const struct xb_obj *o, const struct xb_sym *s,
		       GElf_Sym *out)
{
	bool in_file = false;

	for (size_t i = 1; i < t->nsyms; i++) {
		const char *name, *base;
		GElf_Sym y;

		if (!gelf_getsym(t->syms, (int)i, &y))
			continue;
		name = elf_strptr(t->elf, t->strndx, y.st_name);
		if (!name)
			continue;
		if (GELF_ST_TYPE(y.st_info) == STT_FILE) {
			base = strrchr(name, '/');
			in_file = !strcmp(base ? base + 1 : name, o->file);
			continue;
		}
		if (GELF_ST_TYPE(y.st_info) != STT_FUNC || y.st_shndx == SHN_UNDEF || strcmp(name, s->name))
			continue;
		if ((s->bind == STB_LOCAL) == (GELF_ST_BIND(y.st_info) == STB_LOCAL) &&
		    (s->bind != STB_LOCAL || in_file)) {
			*out = y;
			return true;
		}
	}
	return false;
}

static const unsigned char *tgt_bytes(const struct tgt *t, uint64_t addr, uint64_t size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr >= sh.sh_addr && addr + size <= sh.sh_addr + sh.sh_size &&
		    sh.sh_offset + sh.sh_size <= t->size)
			return t->image + sh.sh_offset + (addr - sh.sh_addr);
	}
	return NULL;
}

/* Bytes the linker may rewrite for relocation r: the field, and for a
 * relaxable GOT load or call the opcode (and REX prefix) before it. */
static void mask_range(const struct xb_rel *r, uint64_t *from, uint64_t *to)
{
	*from = r->off;
	*to = r->off + xb_rel_width(r->type);
	if (r->type == R_X86_64_GOTPCRELX && *from >= 2)
		*from -= 2;
	else if (r->type == R_X86_64_REX_GOTPCRELX && *from >= 3)
		*from -= 3;
}

/* Offset of the first differing byte, or -1. */
static int64_t first_diff(const struct xb_sec *s, const unsigned char *theirs)
{
	unsigned char *mask = calloc(1, s->sh.sh_size);
	int64_t at = -1;

	if (!mask)
		return 0;
	for (size_t k = 0; k < s->nrel; k++) {
		uint64_t from, to;

		mask_range(&s->rel[k], &from, &to);
		for (uint64_t x = from; x < to && x < s->sh.sh_size; x++)
			mask[x] = 1;
	}
	for (uint64_t x = 0; x < s->sh.sh_size && at < 0; x++)
		if (!mask[x] && s->data[x] != theirs[x])
			at = (int64_t)x;
	free(mask);
	return at;
}

static int match_one(const struct tgt *t, const struct xb_pair *pr, const struct xb_sec *ps)
{
	const struct xb_obj *o = pr->orig;
	const struct xb_sec *s = &o->sec[ps->twin];
	const struct xb_sym *f = &o->sym[s->func];
	const unsigned char *theirs;
	GElf_Sym y;
	int64_t at;

	if (!tgt_lookup(t, o, f, &y))
		return xs_fail(-ENOENT, "%s: function %s (%s) is not in its symbol table: is %s linked into it?",
			       t->path, f->name, o->file, pr->rel_path);
	if (y.st_size != s->sh.sh_size || !s->data)
		return xs_fail(-ESTALE, "build does not match the target: %s (%s) is %llu bytes in %s but %llu as built: different compiler, flags or source",
			       f->name, o->file, (unsigned long long)y.st_size, t->path,
			       (unsigned long long)s->sh.sh_size);
	theirs = tgt_bytes(t, y.st_value, y.st_size);
	if (!theirs)
		return xs_fail(-EINVAL, "%s: the code of %s is not inside a section", t->path, f->name);
	at = first_diff(s, theirs);
	if (at >= 0)
		return xs_fail(-ESTALE, "build does not match the target: %s (%s) differs at +0x%llx (0x%02x in %s, 0x%02x as built): different compiler, flags or source",
			       f->name, o->file, (unsigned long long)at, theirs[at], t->path,
			       s->data[at]);
	return 0;
}

int xb_match_target(const char *target, struct xb_pair *pairs, size_t n)
{
	struct tgt t = { 0 };
	int rc = tgt_open(target, &t);

	for (size_t i = 0; i < n && !rc; i++) {
		const struct xb_obj *p = pairs[i].patched;

		for (size_t k = 1; k < p->nsec && !rc; k++)
			if (p->sec[k].state == XB_CHANGED && !p->sec[k].parent)
				rc = match_one(&t, &pairs[i], &p->sec[k]);
	}
	tgt_close(&t);
	return rc;
}
