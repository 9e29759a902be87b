/* SPDX-License-Identifier: MIT */
/*
 * Payload reader, part 1: open a payload, check the ELF header and the
 * section table, classify sections, and run the later steps (symbols and
 * relocations in payload_syms.c, hooks, notes and funcs in payload_funcs.c).
 */
#include "payload/payload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "common/error.h"
#include "payload/payload_priv.h"

/* Larger alignments would need the loader to waste up to that much per section. */
#define MAX_ALIGN 4096

const char *const xs_hook_names[XS_HOOK_COUNT] = {
	[XS_HOOK_LOAD] = "load",
	[XS_HOOK_UNLOAD] = "unload",
	[XS_HOOK_PRE_APPLY] = "pre_apply",
	[XS_HOOK_APPLY] = "apply",
	[XS_HOOK_POST_APPLY] = "post_apply",
	[XS_HOOK_PRE_REVERT] = "pre_revert",
	[XS_HOOK_REVERT] = "revert",
	[XS_HOOK_POST_REVERT] = "post_revert",
};

/* Names for the machines someone is likely to feed us by mistake. */
static const char *machine_name(unsigned m)
{
	static const char *const names[] = {
		[EM_386] = "i386",        [EM_ARM] = "ARM",         [EM_X86_64] = "x86-64",
		[EM_AARCH64] = "AArch64", [EM_PPC64] = "PowerPC64", [EM_S390] = "s390",
		[EM_RISCV] = "RISC-V",    [EM_PPC] = "PowerPC",     [EM_MIPS] = "MIPS",
	};

	return m < XS_ARRAY_SIZE(names) && names[m] ? names[m] : "unknown";
}

/* Step 1, on the raw bytes, before libelf sees them. */
static int check_ident(const struct xs_payload *p, Elf64_Ehdr *eh)
{
	const char *n = p->name;

	if (p->size < sizeof(*eh))
		return xs_fail(-EINVAL,
		               "%s: truncated: %zu bytes, smaller than an ELF header (%zu)", n,
		               p->size, sizeof(*eh));
	memcpy(eh, p->image, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return xs_fail(-ENOEXEC, "%s: not an ELF file (bad magic)", n);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return xs_fail(-ENOEXEC, "%s: wrong class %u: a payload is ELFCLASS64", n,
		               eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return xs_fail(-ENOEXEC,
		               "%s: wrong byte order %u: a payload is little-endian (ELFDATA2LSB)",
		               n, eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return xs_fail(-EINVAL, "%s: ELF version %u/%u, expected %u", n,
		               eh->e_ident[EI_VERSION], eh->e_version, EV_CURRENT);
	if (eh->e_type != ET_REL)
		return xs_fail(-ENOEXEC,
		               "%s: ELF type %u is not ET_REL: a payload is a relocatable object",
		               n, eh->e_type);
	if (eh->e_machine != xs_arch_elf_machine())
		return xs_fail(-ENOEXEC, "%s: built for machine %u (%s), expected %u (%s)", n,
		               eh->e_machine, machine_name(eh->e_machine), xs_arch_elf_machine(),
		               machine_name(xs_arch_elf_machine()));
	return 0;
}

static int check_header(const struct xs_payload *p, Elf64_Ehdr *eh)
{
	const char *n = p->name;
	int rc = check_ident(p, eh);

	if (rc)
		return rc;
	if (eh->e_phnum)
		return xs_fail(-EINVAL,
		               "%s: has %u program headers: a relocatable payload has none", n,
		               eh->e_phnum);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr))
		return xs_fail(-EINVAL, "%s: ELF header size %u, expected %zu", n, eh->e_ehsize,
		               sizeof(Elf64_Ehdr));
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return xs_fail(-EINVAL, "%s: section header size %u, expected %zu", n,
		               eh->e_shentsize, sizeof(Elf64_Shdr));
	/* e_shnum 0 also means "extended numbering", which no payload needs. */
	if (eh->e_shnum == 0)
		return xs_fail(-EINVAL, "%s: no section header table", n);
	/* Division, not multiplication: no overflow whatever e_shoff holds. */
	if (eh->e_shoff < sizeof(Elf64_Ehdr) || eh->e_shoff > p->size ||
	    (p->size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return xs_fail(
		    -EINVAL,
		    "%s: section header table (offset 0x%llx, %u entries) is outside the file (%zu bytes)",
		    n, (unsigned long long)eh->e_shoff, eh->e_shnum, p->size);
	if (eh->e_shnum > XS_PAYLOAD_MAX_SECTIONS)
		return xs_fail(-EFBIG, "%s: %u sections, over the limit of %u", n, eh->e_shnum,
		               XS_PAYLOAD_MAX_SECTIONS);
	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
		return xs_fail(
		    -EINVAL,
		    "%s: section name table index e_shstrndx %u out of range (%u sections)", n,
		    eh->e_shstrndx, eh->e_shnum);
	return 0;
}

/* Let libelf parse the checked header and read every section header. */
static int read_shdrs(struct xs_pl_ctx *c, const Elf64_Ehdr *eh)
{
	struct xs_payload *p = c->p;
	size_t shnum;
	GElf_Ehdr geh;

	elf_version(EV_CURRENT);
	p->elf = elf_memory((char *)p->image, p->size);
	if (!p->elf || elf_kind(p->elf) != ELF_K_ELF || !gelf_getehdr(p->elf, &geh))
		return xs_fail(-EINVAL, "%s: libelf cannot parse the file: %s", p->name,
		               elf_errmsg(-1));
	if (elf_getshdrnum(p->elf, &shnum) || shnum != eh->e_shnum)
		return xs_fail(-EINVAL, "%s: libelf sees a different section count than e_shnum %u",
		               p->name, eh->e_shnum);
	p->sections = calloc(shnum, sizeof(*p->sections));
	if (!p->sections)
		return xs_fail(-ENOMEM, "%s: cannot allocate %zu section records", p->name, shnum);
	p->nsections = shnum;
	for (size_t i = 0; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(p->elf, i);

		p->sections[i].hook = -1;
		if (!scn || !gelf_getshdr(scn, &p->sections[i].shdr))
			return xs_fail(-EINVAL, "%s: section [%zu]: cannot read its header: %s",
			               p->name, i, elf_errmsg(-1));
	}
	c->shstrndx = eh->e_shstrndx;
	return 0;
}

/* [sh_offset, sh_offset + sh_size) inside the file, without overflow. */
static bool range_ok(const struct xs_payload *p, const GElf_Shdr *sh)
{
	return sh->sh_offset <= p->size && sh->sh_size <= p->size - sh->sh_offset;
}

static bool has_file_data(const GElf_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_type != SHT_NULL;
}

static int check_shstrtab(struct xs_pl_ctx *c)
{
	struct xs_payload *p = c->p;
	const GElf_Shdr *sh = &p->sections[c->shstrndx].shdr;

	if (sh->sh_type != SHT_STRTAB || sh->sh_size == 0 || !range_ok(p, sh) ||
	    p->image[sh->sh_offset + sh->sh_size - 1] != '\0')
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] (section names): not a NUL-terminated string table inside the file",
		    p->name, c->shstrndx);
	return 0;
}

/* Step 2 for one section: name, data range, alignment, string tables. */
static int check_section(struct xs_pl_ctx *c, unsigned i)
{
	struct xs_payload *p = c->p;
	struct xs_section *s = &p->sections[i];
	const GElf_Shdr *shstr = &p->sections[c->shstrndx].shdr;
	const GElf_Shdr *sh = &s->shdr;
	uint64_t align = sh->sh_addralign;

	/* Section 0 is never used: e_shnum and e_shstrndx are not extended. */
	if (i == 0) {
		/* "" inside .shstrtab, as for every name: its last byte is NUL. */
		s->name = (const char *)p->image + shstr->sh_offset + shstr->sh_size - 1;
		return 0;
	}
	if (sh->sh_name >= shstr->sh_size)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u]: name offset %u is outside the section name table (%llu bytes)",
		    p->name, i, sh->sh_name, (unsigned long long)shstr->sh_size);
	s->name = (const char *)p->image + shstr->sh_offset + sh->sh_name;
	if (!xs_pl_printable(s->name))
		return xs_fail(-EINVAL, "%s: section [%u]: name contains control characters",
		               p->name, i);
	if (has_file_data(sh)) {
		if (!range_ok(p, sh))
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: data at offset 0x%llx size 0x%llx is outside the file (%zu bytes)",
			    p->name, i, s->name, (unsigned long long)sh->sh_offset,
			    (unsigned long long)sh->sh_size, p->size);
		s->data = p->image + sh->sh_offset;
	}
	if (align & (align - 1))
		return xs_fail(-EINVAL, "%s: section [%u] %s: alignment %llu is not a power of two",
		               p->name, i, s->name, (unsigned long long)align);
	if (align > MAX_ALIGN)
		return xs_fail(-EOPNOTSUPP,
		               "%s: section [%u] %s: alignment %llu is over the supported %u",
		               p->name, i, s->name, (unsigned long long)align, MAX_ALIGN);
	/* Here, not when classifying: before its relocations (in .debug_info too) fail as unsupported types. */
	if (sh->sh_flags & SHF_TLS)
		return xs_fail(
		    -EOPNOTSUPP,
		    "%s: section [%u] %s: thread-local data in a payload is not supported", p->name,
		    i, s->name);
	/* Tables we read ourselves must be stored plain. */
	if ((sh->sh_flags & SHF_COMPRESSED) &&
	    (sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_RELA || sh->sh_type == SHT_STRTAB ||
	     sh->sh_type == SHT_NOTE))
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: compressed, which this kind of section cannot be",
		    p->name, i, s->name);
	if (sh->sh_type == SHT_STRTAB && (sh->sh_size == 0 || s->data[sh->sh_size - 1] != '\0'))
		return xs_fail(-EINVAL, "%s: section [%u] %s: string table does not end with NUL",
		               p->name, i, s->name);
	return 0;
}

struct file_range {
	uint64_t start, end;
	long idx; /* section index, or -1 for the ELF header, -2 for the section table */
};

static int cmp_range(const void *a, const void *b)
{
	const struct file_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *range_name(const struct xs_payload *p, long idx)
{
	if (idx == -1)
		return "ELF header";
	if (idx == -2)
		return "section header table";
	return xs_pl_secname(p, (unsigned)idx);
}

static int report_overlap(const struct xs_payload *p, const struct file_range *a,
                          const struct file_range *b)
{
	if (b->idx < 0) {
		const struct file_range *t = a;

		a = b;
		b = t;
	}
	if (a->idx < 0)
		return xs_fail(-EINVAL, "%s: section [%ld] %s overlaps the %s in the file", p->name,
		               b->idx, range_name(p, b->idx), range_name(p, a->idx));
	return xs_fail(-EINVAL, "%s: section [%ld] %s overlaps section [%ld] %s in the file",
	               p->name, b->idx, range_name(p, b->idx), a->idx, range_name(p, a->idx));
}

/* No two non-empty file ranges (sections, header, section table) may overlap. */
static int check_overlaps(struct xs_pl_ctx *c, const Elf64_Ehdr *eh)
{
	struct xs_payload *p = c->p;
	struct file_range *r = malloc((p->nsections + 2) * sizeof(*r));
	size_t n = 0, widest = 0;
	int rc = 0;

	if (!r)
		return xs_fail(-ENOMEM, "%s: cannot allocate the section overlap check", p->name);
	r[n++] = (struct file_range){ 0, sizeof(*eh), -1 };
	r[n++] =
	    (struct file_range){ eh->e_shoff, eh->e_shoff + p->nsections * sizeof(Elf64_Shdr), -2 };
	for (size_t i = 1; i < p->nsections; i++) {
		const GElf_Shdr *sh = &p->sections[i].shdr;

		if (has_file_data(sh) && sh->sh_size)
			r[n++] = (struct file_range){ sh->sh_offset, sh->sh_offset + sh->sh_size,
				                      (long)i };
	}
	qsort(r, n, sizeof(*r), cmp_range);
	/* Compare each range with the one reaching furthest before it. */
	for (size_t i = 1; i < n && !rc; i++) {
		if (r[i].start < r[widest].end)
			rc = report_overlap(p, &r[widest], &r[i]);
		else if (r[i].end > r[widest].end)
			widest = i;
	}
	free(r);
	return rc;
}

static int check_symtab_header(struct xs_pl_ctx *c, unsigned i)
{
	struct xs_payload *p = c->p;
	const GElf_Shdr *sh = &p->sections[i].shdr;
	const char *name = p->sections[i].name;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_size % sizeof(Elf64_Sym) ||
	    sh->sh_size == 0)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: entry size %llu and size %llu do not make an array of %zu-byte symbols",
		    p->name, i, name, (unsigned long long)sh->sh_entsize,
		    (unsigned long long)sh->sh_size, sizeof(Elf64_Sym));
	if (sh->sh_link == 0 || sh->sh_link >= p->nsections ||
	    p->sections[sh->sh_link].shdr.sh_type != SHT_STRTAB)
		return xs_fail(-EINVAL, "%s: section [%u] %s: sh_link %u is not a string table",
		               p->name, i, name, sh->sh_link);
	c->symtab = i;
	c->strtab = sh->sh_link;
	return 0;
}

/* Step 2: every section header, then the file layout, then the symbol table. */
static int check_sections(struct xs_pl_ctx *c, const Elf64_Ehdr *eh)
{
	struct xs_payload *p = c->p;
	unsigned symtab = 0;
	int rc = check_shstrtab(c);

	for (unsigned i = 0; i < p->nsections && !rc; i++)
		rc = check_section(c, i);
	if (!rc)
		rc = check_overlaps(c, eh);
	if (rc)
		return rc;
	for (unsigned i = 1; i < p->nsections; i++) {
		if (p->sections[i].shdr.sh_type != SHT_SYMTAB)
			continue;
		if (symtab)
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: a second symbol table (the first is [%u] %s)",
			    p->name, i, xs_pl_secname(p, i), symtab, xs_pl_secname(p, symtab));
		symtab = i;
	}
	if (!symtab)
		return xs_fail(-EINVAL, "%s: no symbol table (SHT_SYMTAB section)", p->name);
	return check_symtab_header(c, symtab);
}

static bool is_xsplice_table(const char *name)
{
	return !strcmp(name, XSPLICE_FUNCS_SECTION) ||
	       !strncmp(name, XSPLICE_HOOK_SECTION_PREFIX, strlen(XSPLICE_HOOK_SECTION_PREFIX));
}

/* Step 5: where each section goes when loaded. */
static int classify(struct xs_payload *p, unsigned i)
{
	struct xs_section *s = &p->sections[i];
	const GElf_Shdr *sh = &s->shdr;

	s->kind = XS_SEC_SKIP;
	if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_type == SHT_NOTE || i == 0)
		return 0;
	switch (sh->sh_type) {
	case SHT_PROGBITS:
	case SHT_NOBITS:
		break;
	case SHT_INIT_ARRAY:
	case SHT_FINI_ARRAY:
	case SHT_PREINIT_ARRAY:
		return xs_fail(
		    -EOPNOTSUPP,
		    "%s: section [%u] %s: constructors and destructors are not run in a payload (use XSPLICE_LOAD_HOOK)",
		    p->name, i, s->name);
	default:
		/* Processor-specific data (x86-64 may type .eh_frame SHT_X86_64_UNWIND). */
		if (sh->sh_type >= SHT_LOPROC && sh->sh_type <= SHT_HIPROC)
			break;
		return xs_fail(-EINVAL, "%s: section [%u] %s: section type %u cannot be loaded",
		               p->name, i, s->name, sh->sh_type);
	}
	if (sh->sh_flags & SHF_COMPRESSED)
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: a loaded section cannot be compressed",
		               p->name, i, s->name);
	if (sh->sh_flags & SHF_EXECINSTR) {
		if (sh->sh_type == SHT_NOBITS)
			return xs_fail(-EINVAL,
			               "%s: section [%u] %s: executable section without data",
			               p->name, i, s->name);
		s->kind = XS_SEC_TEXT;
	} else if (sh->sh_type == SHT_NOBITS) {
		s->kind = XS_SEC_BSS;
	} else if ((sh->sh_flags & SHF_WRITE) && !is_xsplice_table(s->name)) {
		s->kind = XS_SEC_DATA;
	} else {
		/* gcc marks the funcs/hooks tables writable (they hold relocated
		 * pointers); once relocated they stay read-only in the target. */
		s->kind = XS_SEC_RODATA;
	}
	return 0;
}

static int load(struct xs_payload *p)
{
	struct xs_pl_ctx c = { .p = p };
	Elf64_Ehdr eh;
	int rc;

	rc = check_header(p, &eh);
	if (!rc)
		rc = read_shdrs(&c, &eh);
	if (!rc)
		rc = check_sections(&c, &eh);
	if (!rc)
		rc = xs_pl_read_symbols(&c);
	if (!rc)
		rc = xs_pl_read_relocs(&c);
	for (unsigned i = 0; i < p->nsections && !rc; i++)
		rc = classify(p, i);
	if (!rc)
		rc = xs_pl_read_hooks(&c);
	if (!rc)
		rc = xs_pl_read_notes(&c);
	if (!rc)
		rc = xs_pl_read_funcs(&c);
	return rc;
}

/* Takes ownership of image (malloc'd) whatever happens. */
static int open_image(const char *name, unsigned char *image, size_t len, struct xs_payload **out)
{
	struct xs_payload *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->name = strdup(name))) {
		free(p);
		free(image);
		return xs_fail(-ENOMEM, "%s: cannot allocate the payload record", name);
	}
	p->image = image;
	p->size = len;
	rc = load(p);
	if (rc) {
		xs_payload_free(p);
		return rc;
	}
	xs_debug("%s: payload: %zu sections, %zu symbols, %zu funcs", p->name, p->nsections,
	         p->nsyms, p->nfuncs);
	*out = p;
	return 0;
}

int xs_payload_open_mem(const char *name, const void *buf, size_t len, struct xs_payload **out)
{
	unsigned char *image;

	*out = NULL;
	if (!name)
		name = "payload";
	/* Checked before copying: the limit is there to bound what we allocate. */
	if (len > XS_PAYLOAD_MAX_SIZE)
		return xs_fail(-EFBIG, "%s: %zu bytes, over the payload size limit of %u", name,
		               len, XS_PAYLOAD_MAX_SIZE);
	image = malloc(len ? len : 1);
	if (!image)
		return xs_fail(-ENOMEM, "%s: cannot allocate %zu bytes for the payload", name, len);
	if (len)
		memcpy(image, buf, len);
	return open_image(name, image, len, out);
}

int xs_payload_open(const char *path, struct xs_payload **out)
{
	unsigned char *image;
	size_t len;
	int rc;

	*out = NULL;
	rc = xs_read_file("payload", path, XS_PAYLOAD_MAX_SIZE, &image, &len);
	if (rc)
		return rc;
	return open_image(path, image, len, out);
}

void xs_payload_free(struct xs_payload *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsections; i++)
		free(p->sections[i].relocs);
	free(p->sections);
	free(p->syms);
	free(p->funcs);
	if (p->elf)
		elf_end(p->elf);
	free(p->image);
	free(p->name);
	free(p);
}
