/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the instruction decoder behind arch.h (the builder's match):
 * one operation whatever the encoding of a branch, its target, a PC-relative
 * operand's address, padding told apart from instructions that do something,
 * and bytes that are no instruction refused.
 */
#include <errno.h>
#include <string.h>

#include "arch.h"
#include "check.h"

static struct xs_arch_dec *dec;

static struct xs_arch_insn one(const unsigned char *b, size_t n, uint64_t addr, int want_rc,
                               const char *what)
{
	struct xs_arch_insn i;
	int rc = xs_arch_decode(dec, b, n, addr, &i);

	check(rc == want_rc, "%s: rc %d, want %d", what, rc, want_rc);
	return i;
}

#define B(...)                                                                                     \
	(const unsigned char[]){ __VA_ARGS__ }, sizeof((const unsigned char[]){ __VA_ARGS__ })

int main(void)
{
	struct xs_arch_insn s, l, c;

	check(!xs_arch_dec_open(&dec), "decoder opens");
	if (!dec)
		return 1;

	s = one(B(0xeb, 0x05), 0x1000, 0, "jmp rel8");
	l = one(B(0xe9, 0x02, 0x00, 0x00, 0x00), 0x1000, 0, "jmp rel32");
	check(s.branch && l.branch && s.op == l.op && s.len == 2 && l.len == 5,
	      "jmp rel8 and rel32: one operation, lengths %u and %u", s.len, l.len);
	check(s.target == 0x1007 && l.target == 0x1007, "both reach 0x1007 (0x%llx, 0x%llx)",
	      (unsigned long long)s.target, (unsigned long long)l.target);
	check(!strcmp(s.text, "jmp 0x1007"), "text \"%s\"", s.text);

	s = one(B(0x7f, 0x0b), 0x2000, 0, "jg rel8");
	l = one(B(0x0f, 0x8f, 0x07, 0x00, 0x00, 0x00), 0x2000, 0, "jg rel32");
	c = one(B(0x7e, 0x0b), 0x2000, 0, "jle rel8");
	check(s.branch && l.branch && s.op == l.op && s.target == 0x200d && l.target == 0x200d,
	      "jg rel8 and rel32: one operation, one target");
	check(c.branch && c.op != s.op, "jle is not jg");

	c = one(B(0xe8, 0x00, 0x00, 0x00, 0x00), 0x3000, 0, "call rel32");
	check(c.branch && c.op != l.op && c.target == 0x3005,
	      "call: a branch of its own to 0x3005");
	c = one(B(0xff, 0xe0), 0, 0, "jmp *%rax");
	check(!c.branch, "an indirect jump has no target");

	c = one(B(0xff, 0x15, 0x10, 0x00, 0x00, 0x00), 0x4000, 0, "call *0x10(%rip)");
	check(!c.branch && c.pc_mem && c.mem == 0x4016,
	      "call through a GOT slot: the slot 0x4016 (0x%llx)", (unsigned long long)c.mem);
	c = one(B(0x48, 0x8b, 0x04, 0xc5, 0x00, 0x00, 0x00, 0x00), 0, 0, "mov rax, [rax*8]");
	check(!c.pc_mem, "an absolute operand is not PC-relative");

	check(one(B(0x90), 0, 0, "nop").nop, "nop is padding");
	check(one(B(0x66, 0x90), 0, 0, "xchg ax,ax").nop, "66 90 is padding");
	check(one(B(0x0f, 0x1f, 0x44, 0x00, 0x00), 0, 0, "nopl").nop, "0f 1f is padding");
	check(
	    one(B(0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00), 0, 0, "cs nopw").nop,
	    "66 2e 0f 1f is padding");
	check(!one(B(0xf3, 0x90), 0, 0, "pause").nop, "pause is not padding");
	c = one(B(0xf3, 0x0f, 0x1e, 0xfa), 0, 0, "endbr64");
	check(!c.nop && !c.branch && c.len == 4, "endbr64 is neither padding nor a branch");

	one(B(0x06), 0, -EILSEQ, "push es (not in 64-bit mode)");
	one(B(0xe9, 0x00), 0, -EILSEQ, "a cut jmp rel32");

	xs_arch_dec_close(dec);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
