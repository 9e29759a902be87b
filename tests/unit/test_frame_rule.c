/* SPDX-License-Identifier: MIT */
/*
 * Unit test for src/unwind/frame_rule.c: stepping a frame with hand-made rules (the
 * libdwfl semantics each case mirrors is named), a CFA expression (the
 * x86-64 PLT's), and rules read from this program's own .eh_frame: at a
 * function's entry, and over its .plt.
 */
#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "unwind/frame_rule.h"

#define SP 7
#define RA 16
#define BP 6

/* A fake stack: 8 words at STACK_AT; anything else is unreadable. */
#define STACK_AT 0x7000u
static uint64_t stack[8] = { 0x1111, 0x401234, 0x2222, 0x3333, 0, 0, 0, 0 };
static int reads;

static bool read_stack(void *arg, uint64_t addr, uint64_t *val)
{
	(void)arg;
	reads++;
	if (addr < STACK_AT || addr >= STACK_AT + sizeof(stack) || (addr - STACK_AT) % 8)
		return false;
	*val = stack[(addr - STACK_AT) / 8];
	return true;
}

/* CFA = rsp + 16; RA at CFA-8, rbp at CFA-16, rsp = CFA; rbx (3) unchanged. */
static struct xs_frame_rule typical(void)
{
	struct xs_frame_rule r = {
		.simple = true,
		.ra = RA,
		.cfa_reg = SP,
		.cfa_off = 16,
		.nsaved = 3,
		.same = 1ull << 3,
		.saved = { { RA, XS_RULE_AT, -8 }, { BP, XS_RULE_AT, -16 }, { SP, XS_RULE_IS, 0 } },
	};
	return r;
}

static struct xs_regset regs_at(uint64_t sp)
{
	struct xs_regset in = { .known = (1ull << 17) - 1 };

	for (unsigned k = 0; k < 17; k++)
		in.v[k] = 0xa0 + k;
	in.v[SP] = sp;
	return in;
}

static void test_steps(void)
{
	struct xs_frame_rule r = typical();
	struct xs_regset in = regs_at(STACK_AT), out;
	enum xs_step st = xs_frame_rule_step(&r, &in, &out, read_stack, NULL);

	check(st == XS_STEP_NEXT && out.v[RA] == 0x401234 && out.v[BP] == 0x1111 &&
	          out.v[SP] == STACK_AT + 16 && out.v[3] == in.v[3],
	      "step: RA and rbp loaded from the CFA, rsp = CFA, rbx kept (ra 0x%llx sp 0x%llx)",
	      (unsigned long long)out.v[RA], (unsigned long long)out.v[SP]);
	check(out.known == ((1ull << RA) | (1ull << BP) | (1ull << SP) | (1ull << 3)),
	      "step: registers without a rule are undefined in the caller (known 0x%llx)",
	      (unsigned long long)out.known);

	in.known &= ~(1ull << 3);
	xs_frame_rule_step(&r, &in, &out, read_stack, NULL);
	check(!(out.known & (1ull << 3)), "step: same-value of an unknown register stays unknown");

	in = regs_at(STACK_AT);
	in.known &= ~(1ull << SP);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "step: CFA register unknown -> left to libdwfl");

	in = regs_at(0x9000);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "step: unreadable saved register -> left to libdwfl (which reports it)");

	in = regs_at(STACK_AT + 32); /* RA slot holds 0 */
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_END,
	      "step: return address 0 is the outermost frame");

	r.nsaved = 0; /* no rule for RA: undefined */
	in = regs_at(STACK_AT);
	reads = 0;
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_END && reads == 0,
	      "step: undefined return address is the outermost frame");

	r = typical();
	r.same = 1ull << RA; /* RA kept (a leaf that saved nothing) */
	r.nsaved = 0;
	in = regs_at(STACK_AT);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_NEXT &&
	          out.v[RA] == in.v[RA],
	      "step: same-value return address is the callee's");
	in.known &= ~(1ull << RA);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "step: same-value return address that is unknown -> libdwfl");

	r = typical();
	r.simple = false;
	in = regs_at(STACK_AT);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "step: a rule that is not simple is never stepped");
}

/* The x86-64 PLT's CFA: rsp + 8, and 8 more once an entry's push ran (rip & 15 >= 11). */
static struct xs_frame_rule plt_rule(void)
{
	struct xs_frame_rule r = {
		.simple = true,
		.ra = RA,
		.nsaved = 1,
		.ncfa_ops = 9,
		.saved = { { RA, XS_RULE_AT, -8 } },
		.cfa_ops = { { DW_OP_breg7, SP, 8 },
		             { DW_OP_breg16, RA, 0 },
		             { DW_OP_lit15, 0, 0 },
		             { DW_OP_and, 0, 0 },
		             { DW_OP_lit11, 0, 0 },
		             { DW_OP_ge, 0, 0 },
		             { DW_OP_lit3, 0, 0 },
		             { DW_OP_shl, 0, 0 },
		             { DW_OP_plus, 0, 0 } },
	};
	return r;
}

static void test_expression(void)
{
	struct xs_frame_rule r = plt_rule();
	struct xs_regset in = regs_at(STACK_AT), out = { .known = 0 };

	enum xs_step st;

	in.v[RA] = 0x1036; /* entry at 0x1030, before its push: CFA = rsp + 8 */
	st = xs_frame_rule_step(&r, &in, &out, read_stack, NULL);
	check(st == XS_STEP_NEXT && out.v[RA] == 0x1111,
	      "expression: before the push, RA read at rsp (0x%llx)",
	      (unsigned long long)out.v[RA]);
	in.v[RA] = 0x103b; /* after it: CFA = rsp + 16 */
	st = xs_frame_rule_step(&r, &in, &out, read_stack, NULL);
	check(st == XS_STEP_NEXT && out.v[RA] == 0x401234,
	      "expression: after the push, RA read at rsp + 8 (0x%llx)",
	      (unsigned long long)out.v[RA]);
	in.known &= ~(1ull << RA);
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "expression: a register it reads is unknown -> libdwfl");
	r.ncfa_ops = 8; /* the final plus dropped: two values left, the top one taken */
	in = regs_at(STACK_AT);
	in.v[RA] = 0x103b;
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "expression: CFA 8 (the shifted flag) is unreadable -> libdwfl");
	r = plt_rule();
	r.cfa_ops[5].atom = DW_OP_lit0 + 31;
	r.cfa_ops[6].atom = DW_OP_const1u;
	r.cfa_ops[6].num = 64; /* 31 << 64 */
	r.ncfa_ops = 8;
	check(xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_SLOW,
	      "expression: a shift by 64 or more is not decided here");
}

/* The row at a function's first instruction, from this program's .eh_frame. */
__attribute__((noinline)) int rule_probe(int x)
{
	return x * 3 + 1;
}

static uint64_t symbol_value(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			Elf_Data *d = elf_getdata(scn, NULL);

			for (size_t k = 0; d && k < sh.sh_size / sh.sh_entsize; k++) {
				GElf_Sym sym;
				const char *s;

				if (gelf_getsym(d, (int)k, &sym) &&
				    (s = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
				    !strcmp(s, name))
					return sym.st_value;
			}
		}
	return 0;
}

static bool section(Elf *elf, const char *want, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, out) && (name = elf_strptr(elf, shstrndx, out->sh_name)) &&
		    !strcmp(name, want))
			return true;
	return false;
}

/* Every address of the first PLT entry: the rule libdw gives steps as the psABI says. */
static void test_plt(Elf *elf, Dwarf_CFI *cfi)
{
	GElf_Shdr plt;
	int simple = 0, right = 0;

	if (!section(elf, ".plt", &plt) || plt.sh_size < 32) {
		check(false, "this program has a .plt with an entry");
		return;
	}
	for (uint64_t pc = plt.sh_addr + 16; pc < plt.sh_addr + 32; pc++) {
		struct xs_regset in = regs_at(STACK_AT), out;
		Dwarf_Frame *frame;
		struct xs_frame_rule r;
		uint64_t want = (pc & 15) >= 11 ? 0x401234 : 0x1111;

		if (dwarf_cfi_addrframe(cfi, pc, &frame) != 0)
			continue;
		xs_frame_rule_from(frame, 17, &r);
		free(frame);
		in.v[RA] = pc;
		simple += r.simple;
		right += r.simple &&
		         xs_frame_rule_step(&r, &in, &out, read_stack, NULL) == XS_STEP_NEXT &&
		         out.v[RA] == want;
	}
	check(
	    simple == 16 && right == 16,
	    ".plt entry: all 16 addresses have simple rules (%d) that find the return address (%d)",
	    simple, right);
}

static void test_from_cfi(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Dwarf_CFI *cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	uint64_t at = elf ? symbol_value(elf, "rule_probe") : 0;
	Dwarf_Frame *frame = NULL;
	struct xs_frame_rule r;
	bool ra_at = false;

	check(rule_probe(1) == 4 && cfi && at, "this program's .eh_frame and rule_probe found");
	if (cfi && at && dwarf_cfi_addrframe(cfi, at, &frame) == 0) {
		xs_frame_rule_from(frame, 17, &r);
		free(frame);
		for (unsigned k = 0; k < r.nsaved; k++)
			ra_at |= r.saved[k].reg == r.ra && r.saved[k].kind == XS_RULE_AT;
#if defined(__x86_64__)
		/* psABI: at entry the CFA is rsp + 8 and the return address is at CFA - 8. */
		check(r.simple && r.cfa_reg == SP && r.cfa_off == 8 && r.ra == RA && ra_at &&
		          !r.signal,
		      "rule at entry: simple, CFA = rsp + %lld, RA (column %u) saved at the CFA",
		      (long long)r.cfa_off, r.ra);
#else
		check(r.simple, "rule at entry: simple");
#endif
		xs_frame_rule_from(frame = NULL, 17, &r);
		check(!r.simple, "no row (libdw error): not simple");
#if defined(__x86_64__)
		test_plt(elf, cfi);
#endif
	} else {
		check(false, "a CFI row for rule_probe at 0x%llx", (unsigned long long)at);
	}
	if (cfi)
		dwarf_cfi_end(cfi);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	elf_version(EV_CURRENT);
	test_steps();
	test_expression();
	test_from_cfi();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
