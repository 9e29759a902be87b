/* SPDX-License-Identifier: MIT */
/*
 * test_payload.c's table of malformed payloads: each mutates a copy of the
 * good fixture and names the -errno and message text the reader must give.
 * Included once, after the image accessors it uses.
 */

/* --- ELF header ------------------------------------------------------------------- */

static int m_trunc_10(struct img *m)
{
	m->len = 10;
	return 0;
}
static int m_trunc_63(struct img *m)
{
	m->len = 63;
	return 0;
}
static int m_trunc_half(struct img *m)
{
	m->len /= 2;
	return 0;
}

static int m_trunc_shdrs(struct img *m)
{
	Elf64_Ehdr e = eh_get(m);

	m->len = e.e_shoff + e.e_shnum * sizeof(Elf64_Shdr) - 1;
	return 0;
}

static int m_magic(struct img *m)
{
	m->b[1] = 'X';
	return 0;
}
static int m_class32(struct img *m)
{
	m->b[EI_CLASS] = ELFCLASS32;
	return 0;
}
static int m_msb(struct img *m)
{
	m->b[EI_DATA] = ELFDATA2MSB;
	return 0;
}
static int m_ident_version(struct img *m)
{
	m->b[EI_VERSION] = 2;
	return 0;
}

#define EHDR_MUTATION(fn, field, value)                                                            \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		Elf64_Ehdr e = eh_get(m);                                                          \
		e.field = value;                                                                   \
		eh_set(m, &e);                                                                     \
		return 0;                                                                          \
	}

EHDR_MUTATION(m_exec, e_type, ET_EXEC)
EHDR_MUTATION(m_aarch64, e_machine, EM_AARCH64)
EHDR_MUTATION(m_phnum, e_phnum, 1)
EHDR_MUTATION(m_shentsize, e_shentsize, 40)
EHDR_MUTATION(m_shnum0, e_shnum, 0)
EHDR_MUTATION(m_shoff_huge, e_shoff, UINT64_MAX - 10)
EHDR_MUTATION(m_shoff_eof, e_shoff, m->len)
EHDR_MUTATION(m_shstrndx, e_shstrndx, 999)

/* 9000 zeroed section headers that do fit in the (grown) file. */
static int m_shnum_big(struct img *m)
{
	size_t at = m->len;
	Elf64_Ehdr e = eh_get(m);

	if (grow(m, at + 9000 * sizeof(Elf64_Shdr)))
		return -1;
	e.e_shoff = at;
	e.e_shnum = 9000;
	eh_set(m, &e);
	return 0;
}

/* --- section headers ---------------------------------------------------------------- */

#define SHDR_MUTATION(fn, secname, stmt)                                                           \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		int i = sec_find(m, secname);                                                      \
		Elf64_Shdr s;                                                                      \
		if (i < 0)                                                                         \
			return -1;                                                                 \
		s = sh_get(m, i);                                                                  \
		stmt;                                                                              \
		sh_set(m, i, &s);                                                                  \
		return 0;                                                                          \
	}

SHDR_MUTATION(m_sec_past_eof, ".text.new_compute", s.sh_offset = m->len + 100)
SHDR_MUTATION(m_sec_size_wrap, ".text.new_compute", s.sh_size = UINT64_MAX - 8)
SHDR_MUTATION(m_sec_overlap, ".text.new_parse",
              s.sh_offset = sh_get(m, sec_find(m, ".text.new_compute")).sh_offset)
SHDR_MUTATION(m_sec_on_shdrs, ".comment", s.sh_offset = eh_get(m).e_shoff + 8)
SHDR_MUTATION(m_sec_on_ehdr, ".comment", s.sh_offset = 16)
SHDR_MUTATION(m_sec_name_oob, ".comment", s.sh_name = 100000)
SHDR_MUTATION(m_align3, ".text.new_compute", s.sh_addralign = 3)
SHDR_MUTATION(m_align8192, ".text.new_compute", s.sh_addralign = 8192)
SHDR_MUTATION(m_tls, ".data.data_var", s.sh_flags |= SHF_TLS)
SHDR_MUTATION(m_symtab_entsize, ".symtab", s.sh_entsize = 16)
SHDR_MUTATION(m_symtab_link, ".symtab", s.sh_link = sec_find(m, ".text.new_compute"))
SHDR_MUTATION(m_no_symtab, ".symtab", s.sh_type = SHT_PROGBITS)
SHDR_MUTATION(m_two_symtabs, ".comment", Elf64_Word nm = s.sh_name;
              s = sh_get(m, sec_find(m, ".symtab")); s.sh_name = nm; s.sh_size = 0; s.sh_offset = 0)
SHDR_MUTATION(m_sht_rel, ".rela.eh_frame", s.sh_type = SHT_REL)
SHDR_MUTATION(m_rela_link, ".rela.eh_frame", s.sh_link = sec_find(m, ".strtab"))
SHDR_MUTATION(m_rela_info, ".rela.eh_frame", s.sh_info = eh_get(m).e_shnum)
SHDR_MUTATION(m_rela_info_self, ".rela.eh_frame", s.sh_info = sec_find(m, ".symtab"))
SHDR_MUTATION(m_rela_entsize, ".rela.eh_frame", s.sh_entsize = 16)
SHDR_MUTATION(m_funcs_nobits, XSPLICE_FUNCS_SECTION, s.sh_type = SHT_NOBITS)
SHDR_MUTATION(m_funcs_not_alloc, XSPLICE_FUNCS_SECTION, s.sh_flags &= ~(uint64_t)SHF_ALLOC)

/* 8 bytes off the funcs table, and off the entry symbol covering them. */
static int m_funcs_size(struct img *m)
{
	int i = sec_find(m, XSPLICE_FUNCS_SECTION);
	Elf64_Shdr s = sh_get(m, i);
	Elf64_Shdr st = sh_get(m, sec_of_type(m, SHT_SYMTAB));

	s.sh_size -= 8;
	sh_set(m, i, &s);
	for (size_t k = 1; k < st.sh_size / sizeof(Elf64_Sym); k++) {
		Elf64_Sym y = sym_get(m, k);

		if (y.st_shndx == i && y.st_value + y.st_size > s.sh_size) {
			y.st_size -= 8;
			sym_set(m, k, &y);
		}
	}
	return 0;
}
SHDR_MUTATION(m_init_array, ".data.data_var", s.sh_type = SHT_INIT_ARRAY)

/* .strtab's last byte is its terminating NUL. */
static int m_strtab_unterminated(struct img *m)
{
	Elf64_Shdr s = sh_get(m, sec_find(m, ".strtab"));

	m->b[s.sh_offset + s.sh_size - 1] = 'x';
	return 0;
}

/* Rename a section in place by changing one character of its name. */
static int rename_sec(struct img *m, const char *from, size_t at, char c)
{
	int i = sec_find(m, from);

	if (i < 0)
		return -1;
	((char *)sec_name(m, i))[at] = c;
	return 0;
}

static int m_no_funcs(struct img *m)
{
	return rename_sec(m, XSPLICE_FUNCS_SECTION, 13, 'z');
}
static int m_hook_kind(struct img *m)
{
	return rename_sec(m, ".xsplice.hooks.load", 16, 'x');
}

/* A funcs section of 65537 entries, in zeroes appended to the file. */
static int m_funcs_too_many(struct img *m)
{
	int i = sec_find(m, XSPLICE_FUNCS_SECTION);
	size_t at = XS_ALIGN_UP(m->len, 8),
	       size = (XS_PAYLOAD_MAX_FUNCS + 1) * sizeof(struct xsplice_func);
	Elf64_Shdr s = sh_get(m, i);

	if (grow(m, at + size))
		return -1;
	s.sh_offset = at;
	s.sh_size = size;
	sh_set(m, i, &s);
	return 0;
}

/* --- symbols --------------------------------------------------------------------------- */

#define SYM_MUTATION(fn, symname, stmt)                                                            \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		int i = sym_find(m, symname);                                                      \
		Elf64_Sym s;                                                                       \
		if (i < 0)                                                                         \
			return -1;                                                                 \
		s = sym_get(m, i);                                                                 \
		stmt;                                                                              \
		sym_set(m, i, &s);                                                                 \
		return 0;                                                                          \
	}

SYM_MUTATION(m_sym_name_oob, "new_parse", s.st_name = 0x7fffffff)
SYM_MUTATION(m_sym_shndx_oob, "new_compute", s.st_shndx = eh_get(m).e_shnum + 5)
SYM_MUTATION(m_sym_common, "new_compute", s.st_shndx = SHN_COMMON)
SYM_MUTATION(m_sym_xindex, "new_compute", s.st_shndx = SHN_XINDEX)
SYM_MUTATION(m_sym_value_oob, "new_compute", s.st_value = 0x100000)
SYM_MUTATION(m_sym_size_wrap, "new_compute", s.st_size = UINT64_MAX)
SYM_MUTATION(m_new_is_object, "new_compute", s.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT))

/* --- relocations ---------------------------------------------------------------------- */

/* The first relocation of section target. */
static int first_rela(const struct img *m, const char *target, size_t *fo)
{
	char name[128];
	int i;

	snprintf(name, sizeof(name), ".rela%s", target);
	i = sec_find(m, name);
	if (i < 0 || sh_get(m, i).sh_size == 0)
		return -1;
	*fo = sh_get(m, i).sh_offset;
	return 0;
}

#define RELA_MUTATION(fn, target, stmt)                                                            \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		size_t fo;                                                                         \
		Elf64_Rela r;                                                                      \
		if (first_rela(m, target, &fo))                                                    \
			return -1;                                                                 \
		r = rela_get(m, fo);                                                               \
		stmt;                                                                              \
		rela_set(m, fo, &r);                                                               \
		return 0;                                                                          \
	}

RELA_MUTATION(m_reloc_tpoff32, ".text.new_compute",
              r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 23))
RELA_MUTATION(m_reloc_type200, ".text.new_compute",
              r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 200))
RELA_MUTATION(m_reloc_offset_oob, ".text.new_compute", r.r_offset = 0x10000)
RELA_MUTATION(m_reloc_offset_edge, ".eh_frame",
              r.r_offset = sh_get(m, sec_find(m, ".eh_frame")).sh_size - 2)
RELA_MUTATION(m_reloc_sym_oob, ".text.new_compute",
              r.r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r.r_info)))
/* The hook's only relocation now points at data. */
RELA_MUTATION(m_hook_to_data, ".xsplice.hooks.load",
              r.r_info = ELF64_R_INFO(sym_find(m, "data_var"), R_X86_64_64))

/* Two relocations writing the same bytes. */
static int m_reloc_overlap(struct img *m)
{
	size_t fo;
	Elf64_Rela a, b;

	if (first_rela(m, ".eh_frame", &fo))
		return -1;
	a = rela_get(m, fo);
	b = rela_get(m, fo + sizeof(b));
	b.r_offset = a.r_offset + 2;
	rela_set(m, fo + sizeof(b), &b);
	return 0;
}

/* An empty .rela.xsplice.hooks.load: the hook slot holds zero, no relocation. */
SHDR_MUTATION(m_hook_null, ".rela.xsplice.hooks.load", s.sh_size = 0)

/* --- .xsplice.funcs entries ------------------------------------------------------------ */

#define FUNC_MUTATION(fn, funcname, stmt)                                                          \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		size_t fo = func_off(m, funcname);                                                 \
		struct xsplice_func f;                                                             \
		if (!fo)                                                                           \
			return -1;                                                                 \
		memcpy(&f, m->b + fo, sizeof(f));                                                  \
		stmt;                                                                              \
		memcpy(m->b + fo, &f, sizeof(f));                                                  \
		return 0;                                                                          \
	}

FUNC_MUTATION(m_version2, "compute", f.version = 2)
FUNC_MUTATION(m_pad, "compute", f.pad[7] = 1)
FUNC_MUTATION(m_pad2, "compute", f.pad2[0] = 0x80)
FUNC_MUTATION(m_expect_len40, "checksum", f.expect.len = 40)
FUNC_MUTATION(m_expect_len0, "checksum", f.expect.len = 0)
FUNC_MUTATION(m_expect_enabled2, "checksum", f.expect.enabled = 2)
FUNC_MUTATION(m_expect_pad, "checksum", f.expect.pad[5] = 9)
FUNC_MUTATION(m_nop_size0, "debug_hook", f.new_size = 0)
FUNC_MUTATION(m_nop_size33, "debug_hook", f.new_size = 33)
FUNC_MUTATION(m_absolute_new, "debug_hook", f.new_addr = (void *)0x401000)

/* Relocation of the named entry's slot at offset `slot`. */
static size_t func_rela(const struct img *m, const char *name, size_t slot)
{
	int k = func_find(m, name);

	return k < 0 ? 0 :
	               rela_find(m, XSPLICE_FUNCS_SECTION, k * sizeof(struct xsplice_func) + slot);
}

#define FUNC_RELA_MUTATION(fn, funcname, slot, stmt)                                               \
	static int fn(struct img *m)                                                               \
	{                                                                                          \
		size_t fo = func_rela(m, funcname, slot);                                          \
		Elf64_Rela r;                                                                      \
		if (!fo)                                                                           \
			return -1;                                                                 \
		r = rela_get(m, fo);                                                               \
		stmt;                                                                              \
		rela_set(m, fo, &r);                                                               \
		return 0;                                                                          \
	}

/* "server.c#parse" entry renamed to the string of the "compute" entry. */
FUNC_RELA_MUTATION(m_duplicate, "server.c#parse", 0, r = rela_get(m, func_rela(m, "compute", 0));
                   r.r_offset = func_find(m, "server.c#parse") * sizeof(struct xsplice_func))
FUNC_RELA_MUTATION(m_name_pc32, "compute", 0,
                   r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), R_X86_64_PC32))
FUNC_RELA_MUTATION(m_name_outside, "compute", 0, r.r_addend = 1 << 20)
FUNC_RELA_MUTATION(m_name_negative, "compute", 0, r.r_addend = INT64_MIN)
FUNC_RELA_MUTATION(m_name_null_sym, "compute", 0, r.r_info = ELF64_R_INFO(0, R_X86_64_64))
FUNC_RELA_MUTATION(m_name_in_code, "compute", 0,
                   r.r_info = ELF64_R_INFO(sym_find(m, "new_parse"), R_X86_64_64);
                   r.r_addend = 0)
FUNC_RELA_MUTATION(m_new_undefined, "compute", 8,
                   r.r_info = ELF64_R_INFO(sym_find(m, "counter"), R_X86_64_64))
FUNC_RELA_MUTATION(m_new_outside, "compute", 8, r.r_addend = 4096)
FUNC_RELA_MUTATION(m_reloc_old_addr, "compute", 8, r.r_offset += 8)

/* --- notes ------------------------------------------------------------------------------ */

/* Field `word` (0 namesz, 1 descsz, 2 type) of the first note in section sec. */
static int set_note_word(struct img *m, const char *sec, int word, uint32_t v)
{
	int i = sec_find(m, sec);

	if (i < 0)
		return -1;
	memcpy(m->b + sh_get(m, i).sh_offset + 4 * word, &v, sizeof(v));
	return 0;
}

static int m_target_type(struct img *m)
{
	return set_note_word(m, ".note.xsplice", 2, XSPLICE_NOTE_DEPENDS);
}
static int m_target_unknown(struct img *m)
{
	return set_note_word(m, ".note.xsplice", 2, 7);
}
static int m_note_descsz(struct img *m)
{
	return set_note_word(m, ".note.xsplice", 1, 0xfffffff0);
}
static int m_note_namesz(struct img *m)
{
	return set_note_word(m, ".note.xsplice", 0, 5);
}
static int m_buildid_type(struct img *m)
{
	return set_note_word(m, ".note.gnu.build-id", 2, 4);
}
static int m_buildid_empty(struct img *m)
{
	return set_note_word(m, ".note.gnu.build-id", 1, 0);
}
SHDR_MUTATION(m_note_not_note, ".note.xsplice", s.sh_type = SHT_PROGBITS)

struct mut_case {
	const char *name;
	int (*mutate)(struct img *m);
	int err;
	const char *want; /* in the message, besides the payload's name */
};

static const struct mut_case mut_cases[] = {
	{ "trunc-10", m_trunc_10, -EINVAL, "truncated: 10 bytes" },
	{ "trunc-63", m_trunc_63, -EINVAL, "smaller than an ELF header" },
	{ "trunc-half", m_trunc_half, -EINVAL, "section header table" },
	{ "trunc-shdrs", m_trunc_shdrs, -EINVAL, "section header table" },
	{ "bad-magic", m_magic, -ENOEXEC, "not an ELF file" },
	{ "class32", m_class32, -ENOEXEC, "wrong class 1" },
	{ "big-endian", m_msb, -ENOEXEC, "byte order" },
	{ "ident-version", m_ident_version, -EINVAL, "ELF version 2" },
	{ "et-exec", m_exec, -ENOEXEC, "ELF type 2 is not ET_REL" },
	{ "em-aarch64", m_aarch64, -ENOEXEC, "machine 183 (AArch64)" },
	{ "phnum", m_phnum, -EINVAL, "1 program headers" },
	{ "shentsize", m_shentsize, -EINVAL, "section header size 40" },
	{ "shnum-0", m_shnum0, -EINVAL, "no section header table" },
	{ "shoff-huge", m_shoff_huge, -EINVAL, "section header table (offset 0xfffffffffffffff5" },
	{ "shoff-eof", m_shoff_eof, -EINVAL, "is outside the file" },
	{ "shnum-9000", m_shnum_big, -EFBIG, "9000 sections, over the limit of 8192" },
	{ "shstrndx", m_shstrndx, -EINVAL, "e_shstrndx 999" },
	{ "sec-past-eof", m_sec_past_eof, -EINVAL, ".text.new_compute: data at offset" },
	{ "sec-size-wrap", m_sec_size_wrap, -EINVAL, ".text.new_compute: data at offset" },
	{ "sec-overlap", m_sec_overlap, -EINVAL, "overlaps section [" },
	{ "sec-on-shdrs", m_sec_on_shdrs, -EINVAL, ".comment overlaps the section header table" },
	{ "sec-on-ehdr", m_sec_on_ehdr, -EINVAL, ".comment overlaps the ELF header" },
	{ "sec-name-oob", m_sec_name_oob, -EINVAL,
	  "name offset 100000 is outside the section name table" },
	{ "align-3", m_align3, -EINVAL, ".text.new_compute: alignment 3 is not a power of two" },
	{ "align-8192", m_align8192, -EOPNOTSUPP,
	  ".text.new_compute: alignment 8192 is over the supported 4096" },
	{ "tls", m_tls, -EOPNOTSUPP,
	  ".data.data_var: thread-local data in a payload is not supported" },
	{ "strtab-unterminated", m_strtab_unterminated, -EINVAL,
	  ".strtab: string table does not end with NUL" },
	{ "no-symtab", m_no_symtab, -EINVAL, "no symbol table" },
	{ "two-symtabs", m_two_symtabs, -EINVAL, ".symtab: a second symbol table (the first is [" },
	{ "symtab-entsize", m_symtab_entsize, -EINVAL, ".symtab: entry size 16" },
	{ "symtab-link", m_symtab_link, -EINVAL, ".symtab: sh_link" },
	{ "sym-name-oob", m_sym_name_oob, -EINVAL, "name offset 2147483647 is outside [" },
	{ "sym-shndx-oob", m_sym_shndx_oob, -EINVAL, "new_compute: section index" },
	{ "sym-common", m_sym_common, -EINVAL,
	  "new_compute: common symbol: compile the payload with -fno-common" },
	{ "sym-xindex", m_sym_xindex, -EINVAL, "new_compute: extended section index (SHN_XINDEX)" },
	{ "sym-value-oob", m_sym_value_oob, -EINVAL, "new_compute: value 0x100000" },
	{ "sym-size-wrap", m_sym_size_wrap, -EINVAL,
	  "new_compute: value 0x0 size 0xffffffffffffffff is outside section" },
	{ "sht-rel", m_sht_rel, -EOPNOTSUPP,
	  ".rela.eh_frame: SHT_REL relocations are not supported" },
	{ "rela-link", m_rela_link, -EINVAL, ".rela.eh_frame: sh_link" },
	{ "rela-info", m_rela_info, -EINVAL, ".rela.eh_frame: applies to section" },
	{ "rela-info-symtab", m_rela_info_self, -EINVAL, "which cannot be relocated" },
	{ "rela-entsize", m_rela_entsize, -EINVAL, ".rela.eh_frame: entry size 16" },
	{ "reloc-tpoff32", m_reloc_tpoff32, -EOPNOTSUPP,
	  ".rela.text.new_compute: relocation 0 at offset 0x" },
	{ "reloc-type-23-name", m_reloc_tpoff32, -EOPNOTSUPP,
	  "unsupported type R_X86_64_TPOFF32 (23)" },
	{ "reloc-type-200", m_reloc_type200, -EOPNOTSUPP, "(200)" },
	{ "reloc-offset-oob", m_reloc_offset_oob, -EINVAL,
	  "at offset 0x10000 + 4 bytes is outside [" },
	{ "reloc-offset-edge", m_reloc_offset_edge, -EINVAL, "+ 4 bytes is outside [" },
	{ "reloc-sym-oob", m_reloc_sym_oob, -EINVAL, "symbol index 100000 out of range" },
	{ "reloc-overlap", m_reloc_overlap, -EINVAL, ".rela.eh_frame: relocations at offsets" },
	{ "init-array", m_init_array, -EOPNOTSUPP, "XSPLICE_LOAD_HOOK" },
	{ "hook-kind", m_hook_kind, -EINVAL, "unknown hook kind \"lxad\"" },
	{ "hook-null", m_hook_null, -EINVAL, ".xsplice.hooks.load: hook 0 is NULL" },
	{ "hook-to-data", m_hook_to_data, -EINVAL, "data_var+0 is not in an executable section" },
	{ "target-note-missing", m_target_type, -EINVAL, "no target build-id note" },
	{ "target-note-type", m_target_unknown, -EINVAL, ".note.xsplice: unknown note type 7" },
	{ "note-descsz", m_note_descsz, -EINVAL, ".note.xsplice: note at offset 0x0" },
	{ "note-namesz", m_note_namesz, -EINVAL, "name is not NUL-terminated" },
	{ "note-not-note", m_note_not_note, -EINVAL, ".note.xsplice: not a note section" },
	{ "buildid-missing", m_buildid_type, -EINVAL,
	  "no build-id note (link with ld --build-id)" },
	{ "buildid-empty", m_buildid_empty, -EINVAL, "build-id of 0 bytes" },
	{ "no-funcs", m_no_funcs, -EINVAL, "no .xsplice.funcs section: nothing to patch" },
	{ "funcs-nobits", m_funcs_nobits, -EINVAL,
	  ".xsplice.funcs of type 8, which cannot be relocated" },
	{ "funcs-not-alloc", m_funcs_not_alloc, -EINVAL,
	  ".xsplice.funcs: must be allocated PROGBITS" },
	{ "funcs-size", m_funcs_size, -EINVAL, "size 504 is not a non-zero multiple of 128" },
	{ "funcs-too-many", m_funcs_too_many, -EFBIG, "65537 functions, over the limit of 65536" },
	{ "funcs-version", m_version2, -EINVAL, "version 2, expected 1" },
	{ "funcs-pad", m_pad, -EINVAL, "non-zero padding" },
	{ "funcs-pad2", m_pad2, -EINVAL, "non-zero padding" },
	{ "expect-len-40", m_expect_len40, -EINVAL, "(checksum): expect.len 40, expected 1..32" },
	{ "expect-len-0", m_expect_len0, -EINVAL, "(checksum): expect.len 0" },
	{ "expect-enabled-2", m_expect_enabled2, -EINVAL, "(checksum): expect.enabled 2" },
	{ "expect-pad", m_expect_pad, -EINVAL, "(checksum): non-zero expect.pad" },
	{ "nop-size-0", m_nop_size0, -EINVAL,
	  "(debug_hook): NOP entry (new_addr NULL) with new_size 0" },
	{ "nop-size-33", m_nop_size33, -EINVAL,
	  "(debug_hook): NOP entry (new_addr NULL) with new_size 33" },
	{ "new-absolute", m_absolute_new, -EINVAL,
	  "(debug_hook): new_addr: a non-zero value without a relocation" },
	{ "duplicate", m_duplicate, -EINVAL, "compute patched twice in one payload" },
	{ "name-pc32", m_name_pc32, -EINVAL, "name: a relocation other than an absolute pointer" },
	{ "name-outside", m_name_outside, -EINVAL, "points outside its section" },
	{ "name-negative", m_name_negative, -EINVAL, "points outside its section" },
	{ "name-null-sym", m_name_null_sym, -EINVAL, "name: a relocation against the null symbol" },
	{ "name-unterminated", m_name_in_code, -EINVAL,
	  "name (symbol new_parse+0) is not NUL-terminated" },
	{ "new-undefined", m_new_undefined, -EINVAL,
	  "(compute): new_addr symbol counter+0 is not defined in the payload" },
	{ "new-outside", m_new_outside, -EINVAL,
	  "(compute): new_addr symbol new_compute+4096 points outside" },
	{ "new-is-object", m_new_is_object, -EINVAL, "new_compute+0 is not a function" },
	{ "reloc-in-old-addr", m_reloc_old_addr, -EINVAL, "only name and new_addr are relocated" },
};
