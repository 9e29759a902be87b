/* SPDX-License-Identifier: MIT */
/*
 * x86-64 signal frames that xsplice writes on a stopped thread's stack, laid
 * out as the kernel's own signal delivery lays them out (get_sigframe,
 * x64_setup_rt_frame), so that the thread's rt_sigreturn puts it back.
 */
#include "arch.h"

#include <cpuid.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The kernel's struct sigcontext (64-bit), as rt_sigreturn reads it. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* never 0: rt_sigreturn would reset the FPU state */
	uint64_t reserved1[8];
};

/* The kernel's struct ucontext, with its 64-signal sigset. */
struct k_ucontext {
	uint64_t flags;
	uint64_t link;
	struct {
		uint64_t sp;
		int32_t flags;
		int32_t pad;
		uint64_t size;
	} stack;
	struct k_sigcontext mcontext;
	uint64_t sigmask;
};

/* struct rt_sigframe: the address a handler returns to, then the context. */
struct k_rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	unsigned char info[128]; /* siginfo: rt_sigreturn does not read it */
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "kernel struct sigcontext is 256 bytes");
_Static_assert(offsetof(struct k_ucontext, mcontext) == 40, "uc_mcontext at 40");
_Static_assert(offsetof(struct k_ucontext, sigmask) == 296, "uc_sigmask at 296");

/* The FPU part, as the kernel's signal frames have it (uapi asm/sigcontext.h). */
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FXSAVE_SIZE 512
#define SW_BYTES_OFF 464  /* fpx_sw_bytes, in the FXSAVE area's unused tail */
#define XSTATE_BV_OFF 512 /* the XSAVE header's first word */
#define XSAVE_MIN 576     /* FXSAVE area + XSAVE header */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define MAGIC2_SIZE 4
#define FEATURES_FP_SSE 3ull
#define XSAVE_ALIGN 64 /* XRSTOR faults on a less aligned area */

/*
 * No valid mode: the sigaltstack() inside rt_sigreturn refuses it with
 * EINVAL, which the kernel ignores (it squashes every error but EFAULT, as
 * it must for handlers that return on their alternate stack), so the
 * thread's alternate stack stays what it is. Reading it to write it back
 * would cost a system call more per frame.
 */
#define ALTSTACK_UNCHANGED 0x7fffffff

/* The kernel's results of an interrupted system call that may be restarted. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/*
 * The registers the thread goes on with when nothing else happens: the
 * system call it was stopped in (orig_rax set) with an -ERESTART* result
 * runs again, as the kernel arranges on the way out of a stop when no
 * handler runs (arch_do_signal_or_restart). rt_sigreturn sets orig_rax to
 * -1, so the kernel will not do that after it: it is done here.
 * -ERESTART_RESTARTBLOCK (nanosleep, futex or poll with a timeout) would go
 * on through restart_syscall, but rt_sigreturn also resets the thread's
 * restart block, which would make that fail with EINTR; so the original
 * call runs again, from its arguments, still in their registers. A relative
 * timeout then starts anew: the thread waits longer than it asked, never
 * less, as if it had been descheduled. (A thread stopped in restart_syscall
 * itself gets EINTR, as after a signal handler.)
 */
static void as_resumed(xs_regs *r)
{
	if ((int)r->orig_rax == -1) /* as the kernel compares it */
		return;
	switch ((long)r->rax) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		r->rax = r->orig_rax;
		r->rip -= XS_ARCH_SYSCALL_SIZE;
		break;
	default:
		break;
	}
}

/*
 * Bytes of a standard-form XSAVE area that hold the components in use
 * (bv, the area's XSTATE_BV), from CPUID's offsets; 0 when one is unknown.
 * Not the whole buffer ptrace gives: the kernel refuses a frame's area
 * larger than the thread's own XSAVE size, which leaves out components the
 * process has not asked for (AMX), and falls back to restoring the FXSAVE
 * part only, resetting the AVX registers.
 */
static size_t xsave_used(uint64_t bv)
{
	size_t size = XSAVE_MIN;

	for (unsigned i = 2; i < 64; i++) {
		unsigned eax, ebx, ecx, edx;

		if (!(bv >> i & 1))
			continue;
		if (!__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx) || !eax || (ecx & 1))
			return 0; /* not a user component we know the place of */
		if ((size_t)ebx + eax > size)
			size = (size_t)ebx + eax;
	}
	return size;
}

/* The FPU part of the frame: fpu as ptrace gave it, told apart as the kernel expects. */
static int fpu_area(const unsigned char *fpu, size_t fpu_len, size_t *used, size_t *area,
                    uint64_t *xfeatures)
{
	struct fpx_sw_bytes sw;
	uint64_t bv;

	if (fpu_len == FXSAVE_SIZE) { /* no XSAVE: the legacy area alone */
		*used = *area = FXSAVE_SIZE;
		*xfeatures = 0;
		return 0;
	}
	if (fpu_len < XSAVE_MIN)
		return -EINVAL;
	memcpy(&bv, fpu + XSTATE_BV_OFF, sizeof(bv));
	memcpy(&sw, fpu + SW_BYTES_OFF, sizeof(sw));
	*used = xsave_used(bv);
	if (!*used || *used > fpu_len)
		return -EINVAL;
	*area = *used + MAGIC2_SIZE;
	/* The features to restore; the kernel's frames carry all the thread may use. */
	*xfeatures = (sw.magic1 == FP_XSTATE_MAGIC1 ? sw.xfeatures : bv) | FEATURES_FP_SSE;
	return 0;
}

static void fill_context(struct k_ucontext *uc, const xs_regs *regs, uint64_t fpstate,
                         uint64_t mask, bool xsave)
{
	xs_regs r = *regs;
	struct k_sigcontext *sc = &uc->mcontext;

	as_resumed(&r);
	uc->flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (xsave ? UC_FP_XSTATE : 0);
	uc->stack.flags = ALTSTACK_UNCHANGED;
	uc->sigmask = mask;
	*sc = (struct k_sigcontext){
		.r8 = r.r8,
		.r9 = r.r9,
		.r10 = r.r10,
		.r11 = r.r11,
		.r12 = r.r12,
		.r13 = r.r13,
		.r14 = r.r14,
		.r15 = r.r15,
		.rdi = r.rdi,
		.rsi = r.rsi,
		.rbp = r.rbp,
		.rbx = r.rbx,
		.rdx = r.rdx,
		.rax = r.rax,
		.rcx = r.rcx,
		.rsp = r.rsp,
		.rip = r.rip,
		.eflags = r.eflags,
		.cs = (uint16_t)r.cs,
		.ss = (uint16_t)r.ss,
		.oldmask = mask,
		.fpstate = fpstate,
	};
}

/*
 * As get_sigframe: the FPU area just below the red zone, 64-aligned; the
 * frame below it, its start 8 bytes off 16 (as right after a call, so a
 * handler, or our callee, starts with the stack the ABI promises).
 */
int xs_arch_frame_make(const xs_regs *r, const void *fpu, size_t fpu_len, uint64_t mask,
                       uint64_t ret, unsigned char **bytes, struct xs_arch_frame *f)
{
	struct k_rt_sigframe frame;
	size_t used, area;
	uint64_t xfeatures, top, fp, base;
	unsigned char *buf, *fpbuf;
	int rc = fpu_area(fpu, fpu_len, &used, &area, &xfeatures);

	if (rc)
		return rc;
	if (r->rsp < XS_ARCH_RED_ZONE + area + sizeof(frame) + 2 * XSAVE_ALIGN)
		return -EFAULT; /* no stack below: the write would fail anyway */
	top = r->rsp - XS_ARCH_RED_ZONE;
	fp = (top - area) & ~(uint64_t)(XSAVE_ALIGN - 1);
	base = ((fp - sizeof(frame)) & ~15ull) - XS_ARCH_PTR_SIZE;
	buf = calloc(1, fp + area - base);
	if (!buf)
		return -ENOMEM;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ret;
	fill_context(&frame.uc, r, fp, mask, fpu_len > FXSAVE_SIZE);
	memcpy(buf, &frame, sizeof(frame));
	fpbuf = buf + (fp - base);
	memcpy(fpbuf, fpu, used);
	if (fpu_len > FXSAVE_SIZE) {
		struct fpx_sw_bytes sw = {
			.magic1 = FP_XSTATE_MAGIC1,
			.extended_size = (uint32_t)area,
			.xfeatures = xfeatures,
			.xstate_size = (uint32_t)used,
		};
		uint32_t magic2 = FP_XSTATE_MAGIC2;

		memcpy(fpbuf + SW_BYTES_OFF, &sw, sizeof(sw));
		memcpy(fpbuf + used, &magic2, sizeof(magic2));
	} else {
		memset(fpbuf + SW_BYTES_OFF, 0,
		       sizeof(struct fpx_sw_bytes)); /* no magic1: FXSAVE only */
	}
	*bytes = buf;
	f->base = base;
	f->len = fp + area - base;
	f->mask = base + offsetof(struct k_rt_sigframe, uc) + offsetof(struct k_ucontext, sigmask);
	return 0;
}
