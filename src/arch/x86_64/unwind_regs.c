/* SPDX-License-Identifier: MIT */
/*
 * x86-64 saved registers in the DWARF numbering, for the unwinder's initial
 * frame (System V psABI, "DWARF Register Number Mapping").
 */
#include "arch.h"

#include <errno.h>

int xs_arch_dwarf_regs(const xs_regs *r, uint64_t *dwarf, unsigned max)
{
	/* Index = DWARF number: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
	const uint64_t v[] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
		r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
	};
	unsigned n = sizeof(v) / sizeof(v[0]);

	if (max < n)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++)
		dwarf[i] = v[i];
	return (int)n;
}
