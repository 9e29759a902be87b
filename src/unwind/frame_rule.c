/* SPDX-License-Identifier: MIT */
/*
 * CFI rows as frame rules, and stepping a frame with one (see frame_rule.h).
 * libdw hands out a row's rules as short DWARF expressions; only the forms it
 * synthesizes for the plain CFA instructions are recognised here.
 */
#include "unwind/frame_rule.h"

#include <dwarf.h>
#include <string.h>

static bool fits_reg(Dwarf_Word reg)
{
	return reg < XS_RULE_REGS;
}

static bool fits_int32(int64_t v)
{
	return v == (int32_t)v;
}

/* Operations eval_cfa knows; each pushes at most one value. */
static bool cfa_op(const Dwarf_Op *op, unsigned *reg, int64_t *num)
{
	uint8_t a = op->atom;

	*reg = 0;
	*num = 0;
	if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
		*reg = a - DW_OP_breg0;
		*num = (int64_t)op->number;
		return fits_int32(*num);
	}
	if (a >= DW_OP_lit0 && a <= DW_OP_lit31)
		return true;
	switch (a) {
	case DW_OP_bregx:
		if (!fits_reg(op->number))
			return false;
		*reg = (unsigned)op->number;
		*num = (int64_t)op->number2;
		return fits_int32(*num);
	case DW_OP_const1u:
	case DW_OP_const1s:
	case DW_OP_const2u:
	case DW_OP_const2s:
	case DW_OP_const4s:
	case DW_OP_plus_uconst:
		*num = (int64_t)op->number;
		return fits_int32(*num);
	case DW_OP_and:
	case DW_OP_or:
	case DW_OP_xor:
	case DW_OP_plus:
	case DW_OP_minus:
	case DW_OP_mul:
	case DW_OP_shl:
	case DW_OP_shr:
	case DW_OP_shra:
	case DW_OP_ge:
	case DW_OP_gt:
	case DW_OP_le:
	case DW_OP_lt:
	case DW_OP_eq:
	case DW_OP_ne:
	case DW_OP_neg:
	case DW_OP_not:
	case DW_OP_dup:
	case DW_OP_drop:
	case DW_OP_swap:
	case DW_OP_over:
		return true;
	default:
		return false;
	}
}

/* DW_CFA_def_cfa_expression: kept when eval_cfa knows every operation. */
static bool cfa_expression(const Dwarf_Op *ops, size_t nops, struct xs_frame_rule *rule)
{
	if (nops > XS_RULE_OPS)
		return false;
	for (size_t k = 0; k < nops; k++) {
		unsigned reg;
		int64_t num;

		if (!cfa_op(&ops[k], &reg, &num))
			return false;
		rule->cfa_ops[k].atom = ops[k].atom;
		rule->cfa_ops[k].reg = (uint8_t)reg;
		rule->cfa_ops[k].num = (int32_t)num;
	}
	rule->ncfa_ops = (uint8_t)nops;
	return true;
}

/* The CFA: DW_OP_bregx reg, off (def_cfa*), a lone DW_OP_bregN, or an expression. */
static bool cfa_rule(Dwarf_Frame *frame, struct xs_frame_rule *rule)
{
	Dwarf_Op *ops;
	size_t nops;

	if (dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops == 0)
		return false;
	if (nops > 1)
		return cfa_expression(ops, nops, rule);
	if (ops[0].atom == DW_OP_bregx && fits_reg(ops[0].number)) {
		rule->cfa_reg = (uint8_t)ops[0].number;
		rule->cfa_off = (int64_t)ops[0].number2;
		return true;
	}
	if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		rule->cfa_reg = (uint8_t)(ops[0].atom - DW_OP_breg0);
		rule->cfa_off = (int64_t)ops[0].number;
		return true;
	}
	return false;
}

/* One register: undefined, same value, or DW_OP_call_frame_cfa [plus_uconst n] [stack_value]. */
static bool reg_rule(Dwarf_Frame *frame, unsigned reg, struct xs_frame_rule *rule)
{
	Dwarf_Op mem[3], *ops;
	size_t nops, k = 1;
	int64_t off = 0;
	uint8_t kind = XS_RULE_AT;

	if (dwarf_frame_register(frame, (int)reg, mem, &ops, &nops) != 0)
		return false;
	if (nops == 0) {
		if (ops == NULL)
			rule->same |= 1ull << reg;
		return ops == NULL || ops == mem; /* anything else is not libdw's */
	}
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (k < nops && ops[k].atom == DW_OP_plus_uconst)
		off = (int64_t)ops[k++].number;
	if (k < nops && ops[k].atom == DW_OP_stack_value) {
		kind = XS_RULE_IS;
		k++;
	}
	if (k != nops || off != (int32_t)off || rule->nsaved == XS_RULE_SAVED)
		return false;
	rule->saved[rule->nsaved].reg = (uint8_t)reg;
	rule->saved[rule->nsaved].kind = kind;
	rule->saved[rule->nsaved].off = (int32_t)off;
	rule->nsaved++;
	return true;
}

void xs_frame_rule_from(Dwarf_Frame *frame, unsigned nregs, struct xs_frame_rule *rule)
{
	int ra;

	memset(rule, 0, sizeof(*rule));
	ra = dwarf_frame_info(frame, NULL, NULL, &rule->signal);
	if (ra < 0 || !fits_reg((Dwarf_Word)ra) || nregs > XS_RULE_REGS || (unsigned)ra >= nregs ||
	    !cfa_rule(frame, rule))
		return;
	rule->ra = (uint8_t)ra;
	for (unsigned reg = 0; reg < nregs; reg++)
		if (!reg_rule(frame, reg, rule))
			return;
	rule->simple = true;
}

/* A binary operation as DWARF defines it: b is the second entry, a the top. */
static bool binary(uint8_t atom, uint64_t b, uint64_t a, uint64_t *out)
{
	switch (atom) {
	case DW_OP_and:
		*out = b & a;
		return true;
	case DW_OP_or:
		*out = b | a;
		return true;
	case DW_OP_xor:
		*out = b ^ a;
		return true;
	case DW_OP_plus:
		*out = b + a;
		return true;
	case DW_OP_minus:
		*out = b - a;
		return true;
	case DW_OP_mul:
		*out = b * a;
		return true;
	case DW_OP_shl:
		*out = a < 64 ? b << a : 0;
		return a < 64;
	case DW_OP_shr:
		*out = a < 64 ? b >> a : 0;
		return a < 64;
	case DW_OP_shra:
		*out = a < 64 ? (uint64_t)((int64_t)b >> a) : 0;
		return a < 64;
	case DW_OP_ge:
		*out = (int64_t)b >= (int64_t)a;
		return true;
	case DW_OP_gt:
		*out = (int64_t)b > (int64_t)a;
		return true;
	case DW_OP_le:
		*out = (int64_t)b <= (int64_t)a;
		return true;
	case DW_OP_lt:
		*out = (int64_t)b < (int64_t)a;
		return true;
	case DW_OP_eq:
		*out = b == a;
		return true;
	case DW_OP_ne:
		*out = b != a;
		return true;
	default:
		return false;
	}
}

/* The CFA expression's value, from the callee's registers; false: not decided here. */
static bool eval_cfa(const struct xs_frame_rule *rule, const struct xs_regset *in, uint64_t *cfa)
{
	uint64_t st[XS_RULE_OPS + 1];
	size_t n = 0;

	for (unsigned k = 0; k < rule->ncfa_ops; k++) {
		uint8_t a = rule->cfa_ops[k].atom, reg = rule->cfa_ops[k].reg;
		int64_t num = rule->cfa_ops[k].num;

		if ((a >= DW_OP_breg0 && a <= DW_OP_breg31) || a == DW_OP_bregx) {
			if (!(in->known >> reg & 1))
				return false;
			st[n++] = in->v[reg] + (uint64_t)num;
		} else if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
			st[n++] = a - DW_OP_lit0;
		} else if (a == DW_OP_plus_uconst || a == DW_OP_neg || a == DW_OP_not ||
		           a == DW_OP_dup || a == DW_OP_drop) {
			if (n < 1)
				return false;
			if (a == DW_OP_plus_uconst)
				st[n - 1] += (uint64_t)num;
			else if (a == DW_OP_neg)
				st[n - 1] = -st[n - 1];
			else if (a == DW_OP_not)
				st[n - 1] = ~st[n - 1];
			else if (a == DW_OP_dup)
				st[n] = st[n - 1], n++;
			else
				n--;
		} else if (a == DW_OP_swap || a == DW_OP_over) {
			uint64_t top;

			if (n < 2)
				return false;
			top = st[n - 1];
			if (a == DW_OP_swap)
				st[n - 1] = st[n - 2], st[n - 2] = top;
			else
				st[n] = st[n - 2], n++;
		} else if (a >= DW_OP_const1u && a <= DW_OP_const4s) {
			st[n++] = (uint64_t)num;
		} else {
			if (n < 2 || !binary(a, st[n - 2], st[n - 1], &st[n - 2]))
				return false;
			n--;
		}
	}
	if (n == 0)
		return false;
	*cfa = st[n - 1];
	return true;
}

/*
 * As libdwfl's handle_cfi: every register is computed from the callee's
 * values (in); the CFA's register must be known. A load that fails, or a
 * return address that is neither undefined by the rule nor known, is left to
 * libdwfl, which reports it.
 */
enum xs_step xs_frame_rule_step(const struct xs_frame_rule *rule, const struct xs_regset *in,
                                struct xs_regset *out, xs_read_word read, void *arg)
{
	uint64_t ra_bit = 1ull << rule->ra, cfa;
	bool ra_restored = rule->same & ra_bit;

	if (!rule->simple)
		return XS_STEP_SLOW;
	if (rule->ncfa_ops) {
		if (!eval_cfa(rule, in, &cfa))
			return XS_STEP_SLOW;
	} else if (in->known >> rule->cfa_reg & 1) {
		cfa = in->v[rule->cfa_reg] + (uint64_t)rule->cfa_off;
	} else {
		return XS_STEP_SLOW;
	}
	/* Only the registers that stay known: unknown ones are never read. */
	out->known = in->known & rule->same;
	for (uint64_t left = out->known; left; left &= left - 1) {
		unsigned reg = (unsigned)__builtin_ctzll(left);

		out->v[reg] = in->v[reg];
	}
	for (unsigned k = 0; k < rule->nsaved; k++) {
		uint8_t reg = rule->saved[k].reg;
		uint64_t at = cfa + (uint64_t)(int64_t)rule->saved[k].off;

		if (rule->saved[k].kind == XS_RULE_IS)
			out->v[reg] = at;
		else if (!read(arg, at, &out->v[reg]))
			return XS_STEP_SLOW;
		out->known |= 1ull << reg;
		ra_restored |= reg == rule->ra;
	}
	if (!ra_restored)
		return XS_STEP_END; /* undefined: the outermost frame (clone, _start) */
	if (!(out->known & ra_bit))
		return XS_STEP_SLOW;
	return out->v[rule->ra] ? XS_STEP_NEXT : XS_STEP_END;
}
