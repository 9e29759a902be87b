/* SPDX-License-Identifier: MIT */
/*
 * x86-64 glibc ucontext_t, as getcontext/swapcontext save a coroutine that
 * gives up the CPU: where its registers and its stack are.
 */
#include "arch.h"

#include <stddef.h>
#include <string.h>
#include <ucontext.h>

size_t xs_arch_ucontext_len(void)
{
	return offsetof(ucontext_t, uc_mcontext.gregs) +
	       sizeof(((ucontext_t *)0)->uc_mcontext.gregs);
}

static uint64_t greg(const unsigned char *uc, int reg)
{
	uint64_t v;

	memcpy(&v, uc + offsetof(ucontext_t, uc_mcontext.gregs) + (size_t)reg * sizeof(greg_t),
	       sizeof(v));
	return v;
}

void xs_arch_ucontext_regs(const unsigned char *uc, xs_regs *r, uint64_t *stack,
                           uint64_t *stack_len)
{
	memset(r, 0, sizeof(*r));
	/* swapcontext saves the callee-saved registers, the argument ones, and
	 * rip/rsp as after its own return */
	r->rip = greg(uc, REG_RIP);
	r->rsp = greg(uc, REG_RSP);
	r->rbp = greg(uc, REG_RBP);
	r->rbx = greg(uc, REG_RBX);
	r->r12 = greg(uc, REG_R12);
	r->r13 = greg(uc, REG_R13);
	r->r14 = greg(uc, REG_R14);
	r->r15 = greg(uc, REG_R15);
	r->rdi = greg(uc, REG_RDI);
	r->rsi = greg(uc, REG_RSI);
	r->rdx = greg(uc, REG_RDX);
	r->rcx = greg(uc, REG_RCX);
	r->r8 = greg(uc, REG_R8);
	r->r9 = greg(uc, REG_R9);
	memcpy(stack, uc + offsetof(ucontext_t, uc_stack.ss_sp), sizeof(*stack));
	memcpy(stack_len, uc + offsetof(ucontext_t, uc_stack.ss_size), sizeof(*stack_len));
}
