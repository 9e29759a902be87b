/* SPDX-License-Identifier: MIT */
/*
 * x86-64 relocation types: names, widths and how to apply them to payload
 * bytes. One table, indexed by type; the formulas follow the psABI.
 */
#include "arch.h"
#include "common/error.h"

#include <elf.h>
#include <errno.h>

/* What a relocation computes (psABI notation; G is the slot's address here). */
enum reloc_value {
	V_UNSUPPORTED = 0, /* named for messages, but we do not apply it */
	V_NOTHING,         /* R_X86_64_NONE */
	V_S_A,             /* S + A */
	V_S_A_P,           /* S + A - P */
	V_G_A_P,           /* G + A - P */
	V_S_A_GOT,         /* S + A - GOT */
	V_GOT_A_P,         /* GOT + A - P */
	V_G_GOT_A,         /* (G - GOT) + A: the slot's offset in the GOT */
};

/* Which values fit the field. */
enum reloc_check {
	C_NONE = 0, /* 64-bit field: everything fits */
	C_U32,      /* zero-extended 32 bits */
	C_S32,      /* sign-extended 32 bits */
};

struct reloc_info {
	struct xs_arch_reloc_info pub; /* what the builder reads */
	unsigned char value;           /* enum reloc_value */
	unsigned char check;           /* enum reloc_check */
};

#define PC_VALUE(v) ((v) == V_S_A_P || (v) == V_G_A_P || (v) == V_GOT_A_P)
/* A type we apply: field width w, value v, range check c, kind k (DATA, ...). */
/* clang-format off: one relocation a line */
#define RELOC(t, w, v, c, k, ...)                                                                  \
	[t] = { .pub = { .name = #t,                                                               \
		         .width = w,                                                               \
		         .kind = XS_ARCH_RELOC_##k,                                                \
		         .pc_relative = PC_VALUE(v),                                               \
		         __VA_ARGS__ },                                                            \
		.value = v,                                                                        \
		.check = c }
/* A type we only name (and measure, for the builder's comparisons). */
#define NAMED(t, w, ...)                                                                           \
	[t] = { .pub = { .name = #t, .width = w, __VA_ARGS__ }, .value = V_UNSUPPORTED }
/* In code, compilers count these from the end of the 4-byte field, which ends the
 * instruction (addend -4 for the symbol itself). */
#define CODE_PC .pc_bias = 4

static const struct reloc_info relocs[] = {
	RELOC(R_X86_64_NONE, 0, V_NOTHING, C_NONE, OTHER),
	RELOC(R_X86_64_64, 8, V_S_A, C_NONE, DATA),
	RELOC(R_X86_64_PC32, 4, V_S_A_P, C_S32, DATA, CODE_PC),
	/* The loader keeps payloads within +-2 GiB of what they call: no PLT needed. */
	RELOC(R_X86_64_PLT32, 4, V_S_A_P, C_S32, BRANCH, CODE_PC),
	RELOC(R_X86_64_32, 4, V_S_A, C_U32, DATA),
	RELOC(R_X86_64_32S, 4, V_S_A, C_S32, DATA, .sign_extended = true),
	RELOC(R_X86_64_PC64, 8, V_S_A_P, C_NONE, DATA),
	/*
	 * Not relaxed to lea/direct forms: the loader gives every such symbol a
	 * GOT slot holding S, and the memory-load form stays correct as written.
	 * A linker may relax them, rewriting the opcode (and REX prefix) before
	 * the field.
	 */
	RELOC(R_X86_64_GOTPCREL, 4, V_G_A_P, C_S32, GOT, CODE_PC),
	RELOC(R_X86_64_GOTPCRELX, 4, V_G_A_P, C_S32, GOT, CODE_PC, .relax_before = 2),
	RELOC(R_X86_64_REX_GOTPCRELX, 4, V_G_A_P, C_S32, GOT, CODE_PC, .relax_before = 3),
	RELOC(R_X86_64_GOTPCREL64, 8, V_G_A_P, C_NONE, GOT),
	RELOC(R_X86_64_GOT64, 8, V_G_GOT_A, C_NONE, GOT),
	RELOC(R_X86_64_GOTOFF64, 8, V_S_A_GOT, C_NONE, OTHER),
	RELOC(R_X86_64_GOTPC32, 4, V_GOT_A_P, C_S32, OTHER),
	RELOC(R_X86_64_GOTPC64, 8, V_GOT_A_P, C_NONE, OTHER),
	NAMED(R_X86_64_GOT32, 4),
	NAMED(R_X86_64_COPY, 0),
	NAMED(R_X86_64_GLOB_DAT, 8),
	NAMED(R_X86_64_JUMP_SLOT, 8),
	NAMED(R_X86_64_RELATIVE, 8),
	NAMED(R_X86_64_16, 2),
	NAMED(R_X86_64_PC16, 2, .pc_relative = true),
	NAMED(R_X86_64_8, 1),
	NAMED(R_X86_64_PC8, 1, .pc_relative = true),
	NAMED(R_X86_64_DTPMOD64, 8),
	NAMED(R_X86_64_DTPOFF64, 8),
	NAMED(R_X86_64_TPOFF64, 8),
	NAMED(R_X86_64_TLSGD, 4, .pc_relative = true),
	NAMED(R_X86_64_TLSLD, 4, .pc_relative = true),
	NAMED(R_X86_64_DTPOFF32, 4),
	NAMED(R_X86_64_GOTTPOFF, 4, .pc_relative = true),
	NAMED(R_X86_64_TPOFF32, 4),
	NAMED(R_X86_64_GOTPLT64, 8),
	NAMED(R_X86_64_PLTOFF64, 8),
	NAMED(R_X86_64_SIZE32, 4),
	NAMED(R_X86_64_SIZE64, 8),
	NAMED(R_X86_64_GOTPC32_TLSDESC, 4, .pc_relative = true),
	NAMED(R_X86_64_TLSDESC_CALL, 0),
	NAMED(R_X86_64_TLSDESC, 16),
	NAMED(R_X86_64_IRELATIVE, 8),
	NAMED(R_X86_64_RELATIVE64, 8),
};
/* clang-format on */

/* NULL for types we know nothing about (gaps and numbers past the table). */
static const struct reloc_info *lookup(uint32_t type)
{
	if (type >= XS_ARRAY_SIZE(relocs) || !relocs[type].pub.name)
		return NULL;
	return &relocs[type];
}

static const struct reloc_info *lookup_supported(uint32_t type)
{
	const struct reloc_info *ri = lookup(type);

	return ri && ri->value != V_UNSUPPORTED ? ri : NULL;
}

unsigned xs_arch_elf_machine(void)
{
	return EM_X86_64;
}

int xs_arch_reloc_width(uint32_t type)
{
	const struct reloc_info *ri = lookup_supported(type);

	return ri ? ri->pub.width : -EOPNOTSUPP;
}

static const struct xs_arch_reloc_info unknown = { .name = "R_X86_64_<unknown>" };

/* Unknown numbers get one constant string: callers print the number next to it. */
const char *xs_arch_reloc_name(uint32_t type)
{
	const struct reloc_info *ri = lookup(type);

	return ri ? ri->pub.name : unknown.name;
}

const struct xs_arch_reloc_info *xs_arch_reloc_info(uint32_t type)
{
	const struct reloc_info *ri = lookup(type);

	return ri ? &ri->pub : &unknown;
}

int64_t xs_arch_insn_pc_bias(unsigned insn_len, unsigned field_off)
{
	return (int64_t)insn_len - (int64_t)field_off;
}

uint64_t xs_arch_reloc_read(uint32_t type, const unsigned char *field, uint64_t field_addr,
                            int64_t pc_bias)
{
	const struct xs_arch_reloc_info *ri = xs_arch_reloc_info(type);
	unsigned w = ri->width < 8 ? ri->width : 8;
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++) /* little-endian, maybe unaligned */
		v |= (uint64_t)field[i] << (8 * i);
	if (w && w < 8 && (ri->pc_relative || ri->sign_extended) && (v >> (8 * w - 1) & 1))
		v |= ~0ull << (8 * w);
	return ri->pc_relative ? field_addr + (uint64_t)pc_bias + v : v;
}

bool xs_arch_reloc_needs_got(uint32_t type)
{
	const struct reloc_info *ri = lookup_supported(type);

	return ri && ri->pub.kind == XS_ARCH_RELOC_GOT;
}

bool xs_arch_reloc_is_abs_pointer(uint32_t type)
{
	return type == R_X86_64_64;
}

static uint64_t compute(enum reloc_value v, uint64_t P, uint64_t S, int64_t A, uint64_t G,
                        uint64_t GOT)
{
	/* Unsigned arithmetic wraps as the psABI's modular formulas expect. */
	switch (v) {
	case V_S_A:
		return S + (uint64_t)A;
	case V_S_A_P:
		return S + (uint64_t)A - P;
	case V_G_A_P:
		return G + (uint64_t)A - P;
	case V_S_A_GOT:
		return S + (uint64_t)A - GOT;
	case V_GOT_A_P:
		return GOT + (uint64_t)A - P;
	case V_G_GOT_A:
		return G - GOT + (uint64_t)A;
	default:
		return 0;
	}
}

static bool fits(enum reloc_check c, uint64_t val)
{
	switch (c) {
	case C_U32:
		return val <= UINT32_MAX;
	case C_S32:
		return (int64_t)val >= INT32_MIN && (int64_t)val <= INT32_MAX;
	default:
		return true;
	}
}

int xs_arch_reloc_apply(uint32_t type, unsigned char *loc, uint64_t P, uint64_t S, int64_t A,
                        uint64_t G, uint64_t GOT)
{
	const struct reloc_info *ri = lookup_supported(type);
	uint64_t val;

	if (!ri)
		return -EOPNOTSUPP;
	if (ri->value == V_NOTHING)
		return 0;
	val = compute(ri->value, P, S, A, G, GOT);
	if (!fits(ri->check, val))
		return -ERANGE;
	/* Byte by byte: loc need not be aligned, the field is little-endian. */
	for (unsigned i = 0; i < ri->pub.width; i++)
		loc[i] = (unsigned char)(val >> (8 * i));
	return 0;
}
