/* SPDX-License-Identifier: MIT */
/*
 * Signal frames for the code xsplice runs in a target's threads: each
 * thread's own state saved on its stack, so that, should xsplice die at any
 * instruction, the thread's own rt_sigreturn puts it back (see arch.h).
 */
#include "target/target_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "common/error.h"

int xs_tgt_fpu_read(struct xs_tgt *g, size_t i, struct xs_tgt_fpu *fpu)
{
	static const unsigned notes[] = { XS_ARCH_FPU_NOTE, XS_ARCH_FPU_NOTE_LEGACY };
	pid_t tid = g->pub.threads[i].tid;
	int err = 0;

	memset(fpu, 0, sizeof(*fpu));
	fpu->buf = malloc(XS_ARCH_FPU_MAX);
	if (!fpu->buf)
		return xs_fail(-ENOMEM, "pid %d: no memory for the FPU state of thread %d",
		               g->pub.pid, tid);
	/* The legacy form only where the CPU has no other (no XSAVE). */
	for (size_t k = 0; k < XS_ARRAY_SIZE(notes); k++) {
		struct iovec iov = { fpu->buf, XS_ARCH_FPU_MAX };

		if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)notes[k], &iov) == 0) {
			fpu->len = iov.iov_len;
			fpu->note = notes[k];
			return 0;
		}
		err = err ? err : errno;
	}
	xs_tgt_fpu_free(fpu);
	return xs_fail(-err, "pid %d: cannot read the FPU state of thread %d", g->pub.pid, tid);
}

int xs_tgt_fpu_write(struct xs_tgt *g, size_t i, const struct xs_tgt_fpu *fpu)
{
	struct iovec iov = { fpu->buf, fpu->len };
	pid_t tid = g->pub.threads[i].tid;

	if (ptrace(PTRACE_SETREGSET, tid, (void *)(uintptr_t)fpu->note, &iov) < 0)
		return xs_fail(-errno, "pid %d: cannot write the FPU state of thread %d",
		               g->pub.pid, tid);
	return 0;
}

void xs_tgt_fpu_free(struct xs_tgt_fpu *fpu)
{
	free(fpu->buf);
	memset(fpu, 0, sizeof(*fpu));
}

static int make_failed(struct xs_tgt *g, size_t i, int rc)
{
	const struct xs_thread *th = &g->pub.threads[i];

	if (rc == -EFAULT)
		return xs_fail(rc, "pid %d: thread %d has no stack below 0x%llx for a signal frame",
		               g->pub.pid, th->tid, (unsigned long long)xs_arch_sp(&th->regs));
	if (rc == -EINVAL)
		return xs_fail(rc, "pid %d: thread %d: FPU state in a form we do not know",
		               g->pub.pid, th->tid);
	return xs_fail(rc, "pid %d: no memory for a signal frame", g->pub.pid);
}

enum { FC_MASK, FC_SIGRETURN };

const struct xs_syscall xs_tgt_frame_calls[XS_TGT_FRAME_CALLS] = {
	[FC_MASK] = { SYS_rt_sigprocmask,
	              { SIG_BLOCK, 0, 0, XS_ARCH_SIGSET_SIZE, 0, 0 },
	              "to read the thread's signal mask into its signal frame" },
	[FC_SIGRETURN] = { SYS_rt_sigreturn, { 0 }, "to return through the thread's signal frame" },
};

/* The code both ends of an injection borrow from the target (target_mem.c), and the right to run it. */
static int can_frame(struct xs_tgt *g, size_t i)
{
	int rc = xs_tgt_find_syscall(g);

	if (rc)
		return xs_fail(
		    -ENOENT,
		    "pid %d: no \"syscall; ret\" or no signal return found in its executable mappings",
		    g->pub.pid);
	return xs_seccomp_permits(g, i, &xs_tgt_frame_calls[FC_SIGRETURN]);
}

/*
 * The frame goes on the stack first; only then does the thread get any
 * register set of ours, each of which ends in the signal return through it.
 * Its signal mask: SigBlk is only a first guess, since a thread stopped in
 * ppoll, pselect6, epoll_pwait or rt_sigsuspend has that call's temporary
 * mask until it leaves the stop, when the kernel puts its own back
 * (TIF_RESTORE_SIGMASK). So the thread's first system call after the stop
 * reads its mask into the frame itself: whenever the frame is used, it has
 * the mask the thread has once it has left the stop, the one it must keep.
 */
int xs_tgt_frame(struct xs_tgt *g, size_t i)
{
	struct xs_thread *th = &g->pub.threads[i];
	struct xs_tstate *ts = &g->ts[i];
	struct xs_tgt_fpu fpu = { 0 };
	struct xs_syscall mask = xs_tgt_frame_calls[FC_MASK];
	uint64_t blk, ign, cgt;
	unsigned char *bytes = NULL;
	struct xs_arch_frame f = { 0 };
	long ret = 0;
	int rc;

	if (ts->frame.base)
		return 0;
	rc = can_frame(g, i);
	if (!rc && xs_tgt_sigmasks(g->pub.pid, th->tid, &blk, &ign, &cgt))
		rc = xs_fail(-ESRCH, "pid %d: thread %d is gone", g->pub.pid, th->tid);
	if (!rc)
		rc = xs_tgt_fpu_read(g, i, &fpu);
	if (!rc) {
		rc = xs_arch_frame_make(&th->regs, fpu.buf, fpu.len, blk, g->pub.sigreturn_insn,
		                        &bytes, &f);
		rc = rc ? make_failed(g, i, rc) : 0;
	}
	xs_tgt_fpu_free(&fpu);
	mask.args[2] = f.mask;
	if (!rc) /* with the frame's address now (the thread was chosen with 0 there) */
		rc = xs_seccomp_permits(g, i, &mask);
	if (!rc)
		rc = xs_target_write(&g->pub, f.base, bytes, f.len);
	free(bytes);
	if (rc)
		return rc;
	xs_crash_point("frame-written");
	ts->frame = f;
	rc = xs_tgt_inject_framed(g, i, mask.nr, mask.args, &ret);
	if (!rc && ret)
		rc = xs_fail(-EIO, "pid %d: reading the signal mask of thread %d returned %ld",
		             g->pub.pid, th->tid, ret);
	return rc;
}

void xs_tgt_frame_forget(struct xs_tgt *g, size_t i)
{
	memset(&g->ts[i].frame, 0, sizeof(g->ts[i].frame));
}

int xs_tgt_park(struct xs_tgt *g, size_t i)
{
	xs_regs r = g->pub.threads[i].regs;

	xs_arch_setup_sigreturn(&r, g->pub.sigreturn_insn, &g->ts[i].frame);
	return xs_tgt_setregs(g, i, &r);
}
