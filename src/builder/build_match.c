/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: is the tree we built the code that runs? Every function the
 * payload replaces, as compiled from orig/, must be the one in the target
 * binary on disk (found in its .symtab by name and source file), instruction
 * by instruction (build_same.c). The target's bytes at its entry are what
 * the payload expects there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"
#include "payload/expect.h"

struct xb_tgt {
	const char *path;
	unsigned char *image;
	size_t size;
	Elf *elf;
	Elf_Data *syms;
	size_t nsyms, strndx;
	struct xs_arch_dec *dec;
};

static int tgt_open(const char *path, struct xb_tgt *t)
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
		return xs_fail(
		    -ENOENT,
		    "%s has no .symtab (stripped?): cannot check that the build matches it", path);
	if (xs_arch_dec_open(&t->dec))
		return xs_fail(-ENOMEM, "cannot start the instruction decoder to check %s", path);
	return 0;
}

static void tgt_close(struct xb_tgt *t)
{
	xs_arch_dec_close(t->dec);
	if (t->elf)
		elf_end(t->elf);
	free(t->image);
}

const char *xb_tgt_path(const struct xb_tgt *t)
{
	return t->path;
}

/* The target's symbol of that name and type (0: any defined), a local one
 * inside the STT_FILE block of source file `file`. The number found. */
static unsigned tgt_find(const struct xb_tgt *t, const char *file, const char *want, bool local,
                         unsigned type, GElf_Sym *out)
{
	bool in_file = false;
	unsigned found = 0;

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
			in_file = !strcmp(base ? base + 1 : name, file);
			continue;
		}
		if ((type && GELF_ST_TYPE(y.st_info) != type) || y.st_shndx == SHN_UNDEF ||
		    strcmp(name, want))
			continue;
		if (local == (GELF_ST_BIND(y.st_info) == STB_LOCAL) && (!local || in_file)) {
			if (!found++)
				*out = y;
		}
	}
	return found;
}

/* The target's symbol for orig's function s. */
static bool tgt_lookup(const struct xb_tgt *t, const struct xb_obj *o, const struct xb_sym *s,
                       GElf_Sym *out)
{
	return tgt_find(t, o->file, s->name, s->bind == STB_LOCAL, STT_FUNC, out) > 0;
}

int xb_tgt_addr_of(const struct xb_tgt *t, const struct xb_obj *o, unsigned sym, uint64_t *addr)
{
	const struct xb_sym *s = &o->sym[sym];
	unsigned n;
	GElf_Sym y;

	if (s->type == STT_SECTION && s->s.st_shndx < o->nsec && o->sec[s->s.st_shndx].func &&
	    xb_sec_is_text(&o->sec[s->s.st_shndx]))
		s = &o->sym[o->sec[s->s.st_shndx].func]; /* at value 0 */
	else if (s->type == STT_SECTION || !s->name[0])
		return 0;
	if (s->s.st_shndx == SHN_UNDEF)
		/* none: another object's (a library's), not known here */
		return tgt_find(t, o->file, s->name, false, 0, &y) == 1 ? (*addr = y.st_value, 1) :
		                                                          0;
	if (s->type != STT_FUNC && s->type != STT_OBJECT)
		return 0;
	n = tgt_find(t, o->file, s->name, s->bind == STB_LOCAL, s->type, &y);
	if (!n)
		return -ENOENT; /* the object defines it, the binary has not got it */
	if (n > 1)
		return 0;
	*addr = y.st_value;
	return 1;
}

const unsigned char *xb_tgt_bytes(const struct xb_tgt *t, uint64_t addr, uint64_t size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr >= sh.sh_addr && size <= sh.sh_size &&
		    addr - sh.sh_addr <= sh.sh_size - size && sh.sh_offset <= t->size &&
		    sh.sh_size <= t->size - sh.sh_offset)
			return t->image + sh.sh_offset + (addr - sh.sh_addr);
	}
	return NULL;
}

void xb_tgt_name_at(const struct xb_tgt *t, uint64_t addr, char *buf, size_t len)
{
	const char *plt = xb_tgt_plt_name(t, addr), *got = xb_tgt_slot_name(t, addr);

	if (plt || got) {
		snprintf(buf, len, "%s@%s", plt ? plt : got, plt ? "plt" : "got");
		return;
	}
	for (size_t i = 1; i < t->nsyms; i++) {
		const char *name;
		GElf_Sym y;

		if (!gelf_getsym(t->syms, (int)i, &y) || y.st_shndx == SHN_UNDEF ||
		    (GELF_ST_TYPE(y.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(y.st_info) != STT_OBJECT) ||
		    addr < y.st_value || addr - y.st_value >= (y.st_size ? y.st_size : 1))
			continue;
		name = elf_strptr(t->elf, t->strndx, y.st_name);
		if (!name)
			continue;
		if (addr == y.st_value)
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "%s+%llu", name,
			         (unsigned long long)(addr - y.st_value));
		return;
	}
	snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

/* The section holding addr, and its name. */
static Elf_Scn *tgt_section(const struct xb_tgt *t, uint64_t addr, GElf_Shdr *sh, const char **name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(t->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(t->elf, scn))) {
		if (!gelf_getshdr(scn, sh) || !(sh->sh_flags & SHF_ALLOC) || addr < sh->sh_addr ||
		    addr - sh->sh_addr >= sh->sh_size)
			continue;
		*name = elf_strptr(t->elf, shstrndx, sh->sh_name);
		return *name ? scn : NULL;
	}
	return NULL;
}

bool xb_tgt_in(const struct xb_tgt *t, uint64_t addr, const char *prefix)
{
	const char *name;
	GElf_Shdr sh;

	return tgt_section(t, addr, &sh, &name) && !strncmp(name, prefix, strlen(prefix));
}

const char *xb_tgt_slot_name(const struct xb_tgt *t, uint64_t slot)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->elf, scn))) {
		Elf_Data *d, *syms;
		GElf_Shdr sh, ssh;
		Elf_Scn *ss;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(ss = elf_getscn(t->elf, sh.sh_link)) || !gelf_getshdr(ss, &ssh) ||
		    ssh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)) ||
		    !(syms = elf_getdata(ss, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym y;

			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != slot)
				continue;
			if (!GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &y))
				return NULL; /* RELATIVE, IRELATIVE: no name */
			return elf_strptr(t->elf, ssh.sh_link, y.st_name);
		}
	}
	return NULL;
}

/* A PLT entry jumps through its GOT slot: the first PC-relative memory
 * operand of its first few instructions (after endbr64, push, bnd). */
const char *xb_tgt_plt_name(const struct xb_tgt *t, uint64_t addr)
{
	const char *name;
	GElf_Shdr sh;
	uint64_t at = addr;

	if (!tgt_section(t, addr, &sh, &name) || strncmp(name, ".plt", 4))
		return NULL;
	for (int k = 0; k < 3; k++) {
		uint64_t left = sh.sh_addr + sh.sh_size - at;
		const unsigned char *b = xb_tgt_bytes(t, at, left < 16 ? left : 16);
		struct xs_arch_insn i;

		if (!b || xs_arch_decode(t->dec, b, left < 16 ? left : 16, at, &i))
			return NULL;
		if (i.pc_mem)
			return xb_tgt_slot_name(t, i.mem);
		at += i.len;
	}
	return NULL;
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

		xb_rel_mask(&s->rel[k], &from, &to);
		for (uint64_t x = from; x < to && x < s->sh.sh_size; x++)
			mask[x] = 1;
	}
	for (uint64_t x = 0; x < s->sh.sh_size && at < 0; x++)
		if (!mask[x] && s->data[x] != theirs[x])
			at = (int64_t)x;
	free(mask);
	return at;
}

/* The code as built is the code that runs: instruction by instruction, or,
 * where it cannot be decoded, byte for byte. */
static int same_code(const struct xb_tgt *t, const struct xb_obj *o, const struct xb_sec *s,
                     const struct xb_sym *f, const GElf_Sym *y, const unsigned char *theirs)
{
	char why[1024];
	int64_t at;
	int rc;

	rc = xb_same_code(t->dec, o, s, t, theirs, y->st_size, y->st_value, why, sizeof(why));
	if (rc == -ESTALE)
		return xs_fail(
		    -ESTALE,
		    "build does not match the target: %s (%s) %s: different compiler, flags or source",
		    f->name, o->file, why);
	if (rc != -EILSEQ)
		return rc;
	xs_debug("build: %s: %s does not decode: compared byte for byte", t->path, f->name);
	if (y->st_size != s->sh.sh_size || !s->data)
		return xs_fail(
		    -ESTALE,
		    "build does not match the target: %s (%s) is %llu bytes in %s but %llu as built: different compiler, flags or source",
		    f->name, o->file, (unsigned long long)y->st_size, t->path,
		    (unsigned long long)s->sh.sh_size);
	at = first_diff(s, theirs);
	if (at >= 0)
		return xs_fail(
		    -ESTALE,
		    "build does not match the target: %s (%s) differs at +0x%llx (0x%02x in %s, 0x%02x as built): different compiler, flags or source",
		    f->name, o->file, (unsigned long long)at, theirs[at], t->path, s->data[at]);
	return 0;
}

static int match_one(const struct xb_tgt *t, const struct xb_pair *pr, struct xb_sec *ps)
{
	const struct xb_obj *o = pr->orig;
	const struct xb_sec *s = &o->sec[ps->twin];
	const struct xb_sym *f = &o->sym[s->func];
	const unsigned char *theirs;
	GElf_Sym y;
	int rc;

	if (!tgt_lookup(t, o, f, &y))
		return xs_fail(
		    -XS_ERRNO__NO_SYMBOL,
		    "%s: function %s (%s) is not in its symbol table: is %s linked into it?",
		    t->path, f->name, o->file, pr->rel_path);
	theirs = xb_tgt_bytes(t, y.st_value, y.st_size);
	if (!theirs || !y.st_size)
		return xs_fail(-EINVAL, "%s: the code of %s is not inside a section", t->path,
		               f->name);
	rc = same_code(t, o, s, f, &y, theirs);
	if (rc)
		return rc;
	/* The size that counts is the running one (it may be shorter than as
	 * built, by relaxed jumps). */
	if (y.st_size < xs_arch_patch_offset(theirs, y.st_size) + XS_ARCH_PATCH_SIZE)
		return xs_fail(
		    -EOPNOTSUPP,
		    "%s: %s: function of %llu bytes in %s is too small for a %d-byte jump", o->file,
		    f->name, (unsigned long long)y.st_size, t->path, XS_ARCH_PATCH_SIZE);
	/* The running code, relocated as the linker left it: what the
	 * payload expects to find there (build_emit.c writes it out). */
	xs_expect_make(theirs, y.st_size, &ps->expect);
	return 0;
}

int xb_match_target(const char *target, struct xb_pair *pairs, size_t n)
{
	struct xb_tgt t = { 0 };
	int rc = tgt_open(target, &t);

	for (size_t i = 0; i < n && !rc; i++) {
		struct xb_obj *p = pairs[i].patched;

		for (size_t k = 1; k < p->nsec && !rc; k++)
			if (p->sec[k].state == XB_CHANGED && !p->sec[k].parent)
				rc = match_one(&t, &pairs[i], &p->sec[k]);
	}
	tgt_close(&t);
	return rc;
}
