/* SPDX-License-Identifier: MIT */
/*
 * One instruction at a time, with Capstone: what the builder's match needs to
 * tell whether two encodings are the same operation (a jmp rel8 and a jmp
 * rel32 to one place), and a text for its messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "arch.h"

struct xs_arch_dec {
	csh cs;
	cs_insn *insn;
};

int xs_arch_dec_open(struct xs_arch_dec **out)
{
	struct xs_arch_dec *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
		free(d);
		return -ENOSYS;
	}
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	d->insn = cs_malloc(d->cs);
	if (!d->insn) {
		cs_close(&d->cs);
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void xs_arch_dec_close(struct xs_arch_dec *d)
{
	if (!d)
		return;
	cs_free(d->insn, 1);
	cs_close(&d->cs);
	free(d);
}

/* Padding the assembler puts in for alignment: nop, 66 nop, 0f 1f with
 * operand-size and segment prefixes (not f3 90, which is pause). */
static bool is_padding(const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i < n && (b[i] == 0x66 || b[i] == 0x2e))
		i++;
	return (i < n && b[i] == 0x90) || (i + 1 < n && b[i] == 0x0f && b[i + 1] == 0x1f);
}

static bool in_group(const cs_detail *dt, uint8_t g)
{
	for (unsigned i = 0; i < dt->groups_count; i++)
		if (dt->groups[i] == g)
			return true;
	return false;
}

int xs_arch_decode(struct xs_arch_dec *d, const unsigned char *code, size_t len, uint64_t addr,
                   struct xs_arch_insn *out)
{
	const uint8_t *p = code;
	size_t n = len;
	uint64_t a = addr;
	const cs_detail *dt;

	memset(out, 0, sizeof(*out));
	if (!cs_disasm_iter(d->cs, &p, &n, &a, d->insn))
		return -EILSEQ;
	dt = d->insn->detail;
	out->len = d->insn->size;
	out->op = d->insn->id;
	out->nop = is_padding(code, out->len);
	if ((in_group(dt, CS_GRP_JUMP) || in_group(dt, CS_GRP_CALL)) && dt->x86.op_count == 1 &&
	    dt->x86.operands[0].type == X86_OP_IMM) {
		out->branch = true;
		out->target = (uint64_t)dt->x86.operands[0].imm;
	}
	for (unsigned k = 0; k < dt->x86.op_count; k++) {
		const cs_x86_op *op = &dt->x86.operands[k];

		if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
		    op->mem.index == X86_REG_INVALID) {
			out->pc_mem = true;
			out->mem = addr + out->len + (uint64_t)op->mem.disp;
		}
	}
	snprintf(out->text, sizeof(out->text), "%s%s%s", d->insn->mnemonic,
	         d->insn->op_str[0] ? " " : "", d->insn->op_str);
	return 0;
}
