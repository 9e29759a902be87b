/* SPDX-License-Identifier: MIT */
/*
 * Payload reader: opens a payload (ELF ET_REL) with libelf, treats every byte
 * as hostile, validates it whole, and exposes sections, symbols, relocations,
 * notes, the .xsplice.funcs table and hooks. Knows nothing of processes.
 */
#ifndef XS_PAYLOAD_H
#define XS_PAYLOAD_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsplice/payload.h>

#define XS_PAYLOAD_MAX_SIZE (64u << 20) /* bytes */
#define XS_PAYLOAD_MAX_SECTIONS 8192
#define XS_PAYLOAD_MAX_FUNCS 65536
#define XS_BUILD_ID_MAX 64

struct xs_build_id {
	size_t len; /* 0: absent */
	unsigned char bytes[XS_BUILD_ID_MAX];
};

enum xs_hook_kind {
	XS_HOOK_LOAD,
	XS_HOOK_UNLOAD,
	XS_HOOK_PRE_APPLY,
	XS_HOOK_APPLY,
	XS_HOOK_POST_APPLY,
	XS_HOOK_PRE_REVERT,
	XS_HOOK_REVERT,
	XS_HOOK_POST_REVERT,
	XS_HOOK_COUNT
};
/* "load", "pre_apply", ... as in the section names. */
extern const char *const xs_hook_names[XS_HOOK_COUNT];

/* Where a section goes when loaded. */
enum xs_sec_kind {
	XS_SEC_SKIP,   /* not loaded: no SHF_ALLOC, notes, symtab, rela, ... */
	XS_SEC_TEXT,   /* SHF_ALLOC|SHF_EXECINSTR -> r-x */
	XS_SEC_RODATA, /* SHF_ALLOC, not writable (funcs, hooks, .eh_frame too) -> r-- */
	XS_SEC_DATA,   /* SHF_ALLOC|SHF_WRITE, PROGBITS -> rw- */
	XS_SEC_BSS,    /* SHF_ALLOC|SHF_WRITE, NOBITS -> rw-, zeroed */
};

struct xs_reloc {
	uint64_t offset; /* inside the section it applies to; offset+width checked */
	uint32_t type;   /* supported by the arch (checked) */
	uint32_t sym;    /* index into syms (checked) */
	int64_t addend;
};

struct xs_section {
	const char *name; /* NUL-terminated, inside .shstrtab (checked) */
	GElf_Shdr shdr;
	const unsigned char *data; /* sh_size bytes inside the file; NULL for NOBITS */
	enum xs_sec_kind kind;
	int hook;       /* enum xs_hook_kind, or -1 */
	size_t nrelocs; /* relocations applying to this section */
	struct xs_reloc *relocs;
};

struct xs_symbol {
	const char *name; /* "" for unnamed; inside .strtab (checked) */
	uint64_t value;
	uint64_t size;
	unsigned type;  /* GELF_ST_TYPE */
	unsigned bind;  /* GELF_ST_BIND */
	unsigned shndx; /* SHN_UNDEF, SHN_ABS, SHN_COMMON (refused), or a valid index */
};

/* One validated .xsplice.funcs entry, decoded (pointers resolved to symbols). */
struct xs_func_desc {
	const char *name; /* old symbol, NUL-terminated inside its section */
	uint32_t new_sym; /* symbol index of new_addr, 0 when NULL (NOP) */
	int64_t new_addend;
	uint64_t old_addr; /* as written by the author (usually 0) */
	uint32_t new_size, old_size;
	struct xsplice_expect expect;
};

struct xs_payload {
	char *name;           /* for messages: the path or id given */
	unsigned char *image; /* the raw file, owned */
	size_t size;
	Elf *elf;
	size_t nsections;            /* including section 0 */
	struct xs_section *sections; /* by ELF section index */
	size_t nsyms;
	struct xs_symbol *syms;        /* by symbol index; syms[0] is the null symbol */
	struct xs_build_id build_id;   /* the payload's own (NT_GNU_BUILD_ID), required */
	struct xs_build_id target_id;  /* XSPLICE_NOTE_TARGET, required */
	struct xs_build_id depends_id; /* XSPLICE_NOTE_DEPENDS, optional */
	unsigned funcs_shndx;          /* index of .xsplice.funcs (required) */
	size_t nfuncs;
	struct xs_func_desc *funcs;
	unsigned hook_shndx[XS_HOOK_COUNT]; /* 0: none */
	size_t hook_count[XS_HOOK_COUNT];   /* pointers in that section */
};

/* Read and validate. Errors: -EINVAL (malformed), -ENOEXEC (not ours: class,
 * machine, type), -EFBIG (over a limit), -EOPNOTSUPP (unsupported relocation),
 * with a message naming payload, section and symbol. */
int xs_payload_open(const char *path, struct xs_payload **out);
int xs_payload_open_mem(const char *name, const void *buf, size_t len, struct xs_payload **out);
void xs_payload_free(struct xs_payload *p);

/* Resolve a pointer-sized slot at `offset` in section shndx through its
 * relocation: *sym gets the symbol index (0 when the slot holds no relocation
 * and is zero), *addend the addend. -EINVAL if the slot is not a plain pointer. */
int xs_payload_pointer_at(const struct xs_payload *p, unsigned shndx, uint64_t offset,
                          uint32_t *sym, int64_t *addend);

#endif
