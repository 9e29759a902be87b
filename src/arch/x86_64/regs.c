/* SPDX-License-Identifier: MIT */
/*
 * x86-64 register conventions for running code inside a stopped target:
 * pc/sp access, the syscall ABI, a SysV function call on its stack, and
 * the signal return through a frame there (sigframe.c).
 */
#include "arch.h"

#include <errno.h>

#define EFLAGS_DF 0x400ull

uint64_t xs_arch_pc(const xs_regs *r)
{
	return r->rip;
}

void xs_arch_set_pc(xs_regs *r, uint64_t pc)
{
	r->rip = pc;
}

uint64_t xs_arch_sp(const xs_regs *r)
{
	return r->rsp;
}

/* int3 is one byte and the trap leaves rip just past it. */
uint64_t xs_arch_pc_after_trap(uint64_t trap_addr)
{
	return trap_addr + XS_ARCH_TRAP_SIZE;
}

/*
 * Why orig_rax = -1: a thread stopped inside an interrupted blocking system
 * call (read, futex, nanosleep...) resumes through the kernel's restart
 * logic, which, when orig_rax >= 0 and rax is -ERESTART*, reloads rax from
 * orig_rax and moves rip back 2 bytes. That would rewrite our injected call
 * into the old one at the wrong address. orig_rax = -1 says "not in a
 * system call", so the kernel leaves rip and rax alone; the syscall
 * instruction itself sets orig_rax on entry. Restoring the saved registers
 * afterwards brings back the original orig_rax, so the interrupted call is
 * still restarted then.
 *
 * rsp at the frame's return slot: the `ret` after the `syscall` takes the
 * thread to the signal return (the slot's address), which pops nothing and
 * finds the frame just below the new rsp, as after a handler's return.
 */
void xs_arch_setup_syscall(xs_regs *r, uint64_t insn_addr, long nr, const uint64_t args[6],
                           const struct xs_arch_frame *f)
{
	r->rip = insn_addr;
	r->rsp = f->base;
	r->rax = (uint64_t)nr;
	r->orig_rax = (uint64_t)-1;
	r->rdi = args[0];
	r->rsi = args[1];
	r->rdx = args[2];
	r->r10 = args[3]; /* the kernel ABI uses r10, not rcx (syscall clobbers rcx) */
	r->r8 = args[4];
	r->r9 = args[5];
}

long xs_arch_syscall_result(const xs_regs *r)
{
	return (long)r->rax;
}

/* At a system-call stop the kernel keeps the number in orig_rax (rax is -ENOSYS at entry). */
long xs_arch_syscall_nr(const xs_regs *r)
{
	return (long)r->orig_rax;
}

/*
 * SysV call: args in rdi, rsi, rdx, rcx, r8, r9; at entry rsp + 8 is
 * 16-aligned (rsp points at the return address): the frame's return slot,
 * below the red zone, which a leaf function may be using without moving
 * rsp. The other registers keep the caller's values; the frame has them all.
 */
int xs_arch_setup_call(xs_regs *r, uint64_t fn, const uint64_t *args, unsigned nargs,
                       const struct xs_arch_frame *f)
{
	/* user_regs_struct fields are unsigned long long, not uint64_t. */
	__typeof__(r->rdi) *const argregs[] = {
		&r->rdi, &r->rsi, &r->rdx, &r->rcx, &r->r8, &r->r9
	};

	if (nargs > sizeof(argregs) / sizeof(argregs[0]))
		return -E2BIG;
	if ((f->base + XS_ARCH_PTR_SIZE) % 16)
		return -EINVAL;
	for (unsigned i = 0; i < nargs; i++)
		*argregs[i] = args[i];
	r->rsp = f->base;
	r->rip = fn;
	r->rax = 0;                 /* number of vector registers used, for variadic callees */
	r->orig_rax = (uint64_t)-1; /* see xs_arch_setup_syscall */
	/* The ABI requires DF clear at entry; the thread may have stopped mid-std. */
	r->eflags &= ~EFLAGS_DF;
	return 0;
}

/* The return stub copies the result to rdi before its getpid (arch.c). */
uint64_t xs_arch_call_result(const xs_regs *r)
{
	return r->rdi;
}

/* As if a handler had just returned: rsp one slot above the frame's start. */
void xs_arch_setup_sigreturn(xs_regs *r, uint64_t pc, const struct xs_arch_frame *f)
{
	r->rip = pc;
	r->rsp = f->base + XS_ARCH_PTR_SIZE;
	r->orig_rax = (uint64_t)-1; /* see xs_arch_setup_syscall */
}
