/* SPDX-License-Identifier: MIT */
/*
 * One row of DWARF CFI reduced to what stepping over a frame needs, when the
 * row has the shape compilers emit: CFA = register + offset, and each
 * register undefined, unchanged, saved at CFA + n, or equal to CFA + n; or
 * the CFA computed by a short expression of registers, constants and
 * arithmetic (the PLT's: rsp + 8, plus 8 past the push in each entry).
 *
 * Threads of one process share most of their frames (the same loop, the same
 * libc wait, the same thread start), so the unwinder asks libdw for a PC's
 * row once and steps every later frame at that PC with this rule: a few loads
 * instead of libdwfl interpreting the row anew per frame. Anything else
 * (register expressions, register-to-register rules, a CFA expression with
 * other operations or over XS_RULE_OPS of them) is not simple:
 * such stacks are left to libdwfl. The step follows libdwfl's own semantics
 * (frame_unwind.c) so that both walks give the same frames.
 */
#ifndef XS_FRAME_RULE_H
#define XS_FRAME_RULE_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

#define XS_RULE_REGS 64  /* DWARF registers a rule may name (one bit each) */
#define XS_RULE_SAVED 16 /* registers a rule may restore from the CFA */
#define XS_RULE_OPS 12   /* operations of a CFA expression (the x86-64 PLT's has 9) */

enum { XS_RULE_AT = 1, XS_RULE_IS };

struct xs_frame_rule {
	bool simple;     /* false: step this frame with libdwfl */
	bool signal;     /* a signal frame: the caller's PC is exact, not a return address */
	uint8_t ra;      /* the return address column */
	uint8_t cfa_reg; /* CFA = regs[cfa_reg] + cfa_off ... */
	uint8_t nsaved;
	uint8_t ncfa_ops; /* ... unless the CFA is this expression's value */
	int64_t cfa_off;
	struct {
		uint8_t atom; /* DW_OP_* */
		uint8_t reg;  /* of DW_OP_breg* */
		int32_t num;  /* its offset, constant or operand */
	} cfa_ops[XS_RULE_OPS];
	uint64_t same; /* registers the caller sees unchanged; all others are undefined ... */
	struct {
		uint8_t reg;
		uint8_t kind; /* XS_RULE_AT: loaded from CFA + off; XS_RULE_IS: CFA + off itself */
		int32_t off;
	} saved[XS_RULE_SAVED]; /* ... unless restored here */
};

struct xs_regset {
	uint64_t v[XS_RULE_REGS];
	uint64_t known; /* bit r: v[r] holds a value */
};

/* Reduce libdw's row for nregs registers (the architecture's frame registers). */
void xs_frame_rule_from(Dwarf_Frame *frame, unsigned nregs, struct xs_frame_rule *rule);

enum xs_step {
	XS_STEP_NEXT, /* out holds the caller's registers, its PC in out->v[rule->ra] */
	XS_STEP_END,  /* the outermost frame: the return address is undefined or 0 */
	XS_STEP_SLOW, /* not decided here (not simple, unknown input, unreadable stack) */
};

typedef bool (*xs_read_word)(void *arg, uint64_t addr, uint64_t *val);

enum xs_step xs_frame_rule_step(const struct xs_frame_rule *rule, const struct xs_regset *in,
                                struct xs_regset *out, xs_read_word read, void *arg);

#endif
