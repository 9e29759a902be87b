/* SPDX-License-Identifier: MIT */
/*
 * CFI rows as frame rules, and stepping a frame with one (see frame_rule.h).
 * libdw hands out a row's rules as short DWARF expressions; only the forms it
 * synthesizes for the plain CFA instructions are recognised here.
 */
#include "frame_rule.h"

#include <dwarf.h>
#include <string.h>

static bool fits_reg(Dwarf_Word reg)
{
	return reg < XS_RULE_REGS;
}

/* The CFA: DW_OP_bregx reg, off (def_cfa*) or a lone DW_OP_bregN (an expression). */
static bool cfa_rule(Dwarf_Frame *frame, struct xs_frame_rule *rule)
{
	Dwarf_Op *ops;
	size_t nops;

	if (dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops != 1)
		return false;
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

	if (!rule->simple || !(in->known >> rule->cfa_reg & 1))
		return XS_STEP_SLOW;
	cfa = in->v[rule->cfa_reg] + (uint64_t)rule->cfa_off;
	memcpy(out->v, in->v, sizeof(out->v));
	out->known = in->known & rule->same;
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
