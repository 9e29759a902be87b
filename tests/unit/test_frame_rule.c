/* SPDX-License-Identifier: MIT */
/*
 * Unit test for src/frame_rule.c: stepping a frame with hand-made rules (the
 * libdwfl semantics each case mirrors is named), and a rule read from this
 * program's own .eh_frame at a function's entry.
 */
#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "frame_rule.h"

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
		.simple = true, .ra = RA, .cfa_reg = SP, .cfa_off = 16, .nsaved = 3,
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
				    (s = elf_strptr(elf, sh.sh_link, sym.st_name)) && !strcmp(s, name))
					return sym.st_value;
			}
		}
	return 0;
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
	test_from_cfi();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
