/* SPDX-License-Identifier: MIT */
/*
 * Before we run a system call inside the target, run the seccomp filters of
 * the thread that would run it (fetched with PTRACE_SECCOMP_GET_FILTER) in a
 * small classic-BPF interpreter: a call the filters would refuse is never
 * made, since a KILL verdict would kill the target and an ERRNO one would
 * only mislead us. Filters are per thread, so we look for a thread that may,
 * and that may also run the system calls of the signal frame the call
 * returns through (target_frame.c), unless it has one already.
 */
#include "target/target_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "common/error.h"

#define MAX_FILTERS 1024 /* the kernel caps the total at 32768 instructions anyway */

/* One thread's view, kept until the threads run again (g->sc, a list). */
struct xs_seccomp {
	pid_t tid;  /* whose filters (they are per thread) */
	int mode;   /* 0 none, 1 strict, 2 filter */
	unsigned n; /* filters, newest first like the kernel walks them */
	struct sock_filter **prog;
	unsigned *len;
	struct xs_seccomp *next;
};

static const char *const names[] = {
	[SYS_read] = "read",
	[SYS_write] = "write",
	[SYS_mmap] = "mmap",
	[SYS_mprotect] = "mprotect",
	[SYS_munmap] = "munmap",
	[SYS_madvise] = "madvise",
	[SYS_getpid] = "getpid",
	[SYS_gettid] = "gettid",
	[SYS_rt_sigaction] = "rt_sigaction",
	[SYS_rt_sigprocmask] = "rt_sigprocmask",
	[SYS_memfd_create] = "memfd_create",
#ifdef SYS_open /* not on aarch64 */
	[SYS_open] = "open",
#endif
	[SYS_openat] = "openat",
	[SYS_close] = "close",
	[SYS_mremap] = "mremap",
	[SYS_membarrier] = "membarrier",
	[SYS_msync] = "msync",
	[SYS_prctl] = "prctl",
	[SYS_getrandom] = "getrandom",
	[SYS_exit] = "exit",
	[SYS_ftruncate] = "ftruncate",
	[SYS_fcntl] = "fcntl",
	[SYS_pkey_mprotect] = "pkey_mprotect",
};

void xs_syscall_text(const struct xs_syscall *c, char *buf, size_t len)
{
	const char *name = c->nr >= 0 && (size_t)c->nr < XS_ARRAY_SIZE(names) ? names[c->nr] : NULL;
	int n = name ? snprintf(buf, len, "%s(", name) : snprintf(buf, len, "syscall %ld(", c->nr);

	for (int i = 0; i < 6 && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s0x%llx", i ? ", " : "",
		              (unsigned long long)c->args[i]);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ")");
}

static const char *action_name(uint32_t action)
{
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
		return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD:
		return "KILL_THREAD";
	case SECCOMP_RET_TRAP:
		return "TRAP";
	case SECCOMP_RET_ERRNO:
		return "ERRNO";
	case SECCOMP_RET_USER_NOTIF:
		return "USER_NOTIF";
	case SECCOMP_RET_TRACE:
		return "TRACE";
	case SECCOMP_RET_LOG:
		return "LOG";
	case SECCOMP_RET_ALLOW:
		return "ALLOW";
	default:
		return "unknown";
	}
}

/* Returns 0 and sets *a, or 1 for a division by zero (the program returns 0). */
static int alu(uint16_t code, uint32_t *a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_ADD:
		*a += v;
		break;
	case BPF_SUB:
		*a -= v;
		break;
	case BPF_MUL:
		*a *= v;
		break;
	case BPF_DIV:
		if (!v)
			return 1;
		*a /= v;
		break;
	case BPF_MOD:
		if (!v)
			return 1;
		*a %= v;
		break;
	case BPF_OR:
		*a |= v;
		break;
	case BPF_AND:
		*a &= v;
		break;
	case BPF_XOR:
		*a ^= v;
		break;
	case BPF_LSH:
		*a <<= v & 31;
		break;
	case BPF_RSH:
		*a >>= v & 31;
		break;
	case BPF_NEG:
		*a = -*a;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int jump(uint16_t code, uint32_t a, uint32_t v, bool *taken)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ:
		*taken = a == v;
		break;
	case BPF_JGT:
		*taken = a > v;
		break;
	case BPF_JGE:
		*taken = a >= v;
		break;
	case BPF_JSET:
		*taken = (a & v) != 0;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * Classic BPF as seccomp accepts it (word loads from seccomp_data, scratch
 * memory, ALU, forward jumps, return). -EINVAL for anything else or a jump
 * out of the program: the caller then refuses the call.
 */
int xs_seccomp_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
                   uint32_t *verdict)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	const unsigned char *data = (const unsigned char *)d;
	size_t pc = 0;

	while (pc < len) {
		const struct sock_filter *f = &prog[pc++];
		uint32_t k = f->k;
		bool taken;
		int rc;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > sizeof(*d) - 4 || (k & 3))
				return -EINVAL;
			memcpy(&A, data + k, 4);
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			A = sizeof(*d);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = sizeof(*d);
			continue;
		case BPF_LD | BPF_IMM:
			A = k;
			continue;
		case BPF_LDX | BPF_IMM:
			X = k;
			continue;
		case BPF_MISC | BPF_TAX:
			X = A;
			continue;
		case BPF_MISC | BPF_TXA:
			A = X;
			continue;
		case BPF_RET | BPF_K:
			*verdict = k;
			return 0;
		case BPF_RET | BPF_A:
			*verdict = A;
			return 0;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return -EINVAL;
			if (f->code == (BPF_LD | BPF_MEM))
				A = M[k];
			else if (f->code == (BPF_LDX | BPF_MEM))
				X = M[k];
			else
				M[k] = f->code == BPF_ST ? A : X;
			continue;
		case BPF_JMP | BPF_JA:
			if (k >= len - pc)
				return -EINVAL;
			pc += k;
			continue;
		}
		if (BPF_CLASS(f->code) == BPF_ALU) {
			rc = alu(f->code, &A, BPF_SRC(f->code) == BPF_X ? X : k);
			if (rc == 1) {
				*verdict = 0; /* how the kernel ends a division by zero */
				return 0;
			}
		} else if (BPF_CLASS(f->code) == BPF_JMP) {
			rc = jump(f->code, A, BPF_SRC(f->code) == BPF_X ? X : k, &taken);
			if (!rc && (taken ? f->jt : f->jf) >= len - pc)
				rc = -EINVAL;
			if (!rc)
				pc += taken ? f->jt : f->jf;
		} else {
			rc = -EINVAL;
		}
		if (rc)
			return rc;
	}
	return -EINVAL; /* fell off the end: the kernel rejects such programs */
}

static void free_view(struct xs_seccomp *sc)
{
	for (unsigned i = 0; i < sc->n; i++)
		free(sc->prog[i]);
	free(sc->prog);
	free(sc->len);
	free(sc);
}

void xs_seccomp_forget(struct xs_tgt *g)
{
	while (g->sc) {
		struct xs_seccomp *sc = g->sc;

		g->sc = sc->next;
		free_view(sc);
	}
}

static int fetch_error(pid_t pid, pid_t tid, int err)
{
	const char *why =
	    err == EACCES ?
	        "needs CAP_SYS_ADMIN and no seccomp filter of our own" :
	        "the kernel lacks PTRACE_SECCOMP_GET_FILTER (CONFIG_CHECKPOINT_RESTORE)";

	return xs_fail(
	    -EPERM,
	    "pid %d: thread %d runs under a seccomp filter we cannot read (%s), so no system call is run in it",
	    pid, tid, why);
}

static int fetch_filters(struct xs_tgt *g, struct xs_seccomp *sc)
{
	pid_t pid = g->pub.pid, tid = sc->tid;

	for (unsigned k = 0; k < MAX_FILTERS; k++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(unsigned long)k, NULL);
		struct sock_filter **np;
		unsigned *nl;

		if (n < 0 && errno == ENOENT && k > 0)
			return 0; /* past the oldest filter */
		if (n <= 0)
			return fetch_error(pid, tid, n < 0 ? errno : EINVAL);
		np = realloc(sc->prog, (k + 1) * sizeof(*np));
		if (np)
			sc->prog = np;
		nl = np ? realloc(sc->len, (k + 1) * sizeof(*nl)) : NULL;
		if (nl)
			sc->len = nl;
		if (!nl || !(sc->prog[k] = calloc(n, sizeof(struct sock_filter))))
			return xs_fail(-ENOMEM, "pid %d: no memory for seccomp filters", pid);
		sc->len[k] = (unsigned)n;
		sc->n = k + 1;
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(unsigned long)k, sc->prog[k]) !=
		    n)
			return fetch_error(pid, tid, errno);
	}
	return xs_fail(-EPERM, "pid %d: thread %d has over %d seccomp filters", pid, tid,
	               MAX_FILTERS);
}

/* Mode and filters of thread i: read once, kept until the threads run again. */
static int load(struct xs_tgt *g, size_t i, struct xs_seccomp **out)
{
	pid_t pid = g->pub.pid, tid = g->pub.threads[i].tid;
	struct xs_seccomp *sc;
	char val[16];
	int rc;

	for (sc = g->sc; sc; sc = sc->next)
		if (sc->tid == tid) {
			*out = sc;
			return 0;
		}
	rc = xs_tgt_status_field(pid, tid, "Seccomp", val, sizeof(val));
	if (rc && rc != -ENOENT)
		return xs_fail(-ESRCH, "pid %d: thread %d is gone", pid, tid);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return xs_fail(-ENOMEM, "pid %d: no memory", pid);
	sc->tid = tid;
	sc->mode = rc ? SECCOMP_MODE_DISABLED : atoi(val); /* -ENOENT: a kernel without seccomp */
	rc = sc->mode == SECCOMP_MODE_FILTER ? fetch_filters(g, sc) : 0;
	if (rc) {
		free_view(sc); /* never kept half read */
		return rc;
	}
	sc->next = g->sc;
	g->sc = sc;
	*out = sc;
	return 0;
}

/*
 * Would thread i's filters let call c through? 0: yes; 1: no, *why names
 * the verdict; -errno (with a message): they cannot be read or run.
 */
static int thread_verdict(struct xs_tgt *g, size_t i, const struct xs_syscall *c, const char **why)
{
	uint32_t worst = SECCOMP_RET_ALLOW;
	struct xs_seccomp *sc = NULL;
	struct seccomp_data d;
	char what[192];
	int rc = load(g, i, &sc);

	if (rc)
		return rc;
	if (sc->mode == SECCOMP_MODE_DISABLED)
		return 0;
	if (sc->mode != SECCOMP_MODE_FILTER) {
		*why = "strict mode"; /* read, write, exit and sigreturn only: nothing of ours */
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.nr = (int)c->nr;
	d.arch = XS_ARCH_AUDIT;
	d.instruction_pointer = g->pub.syscall_insn + XS_ARCH_SYSCALL_SIZE; /* ip after the insn */
	memcpy(d.args, c->args, sizeof(d.args));
	for (unsigned k = 0; k < sc->n; k++) {
		uint32_t v;

		if (xs_seccomp_run(sc->prog[k], sc->len[k], &d, &v)) {
			xs_syscall_text(c, what, sizeof(what));
			return xs_fail(
			    -EPERM,
			    "pid %d: cannot evaluate seccomp filter %u of thread %d: refusing to run %s",
			    g->pub.pid, k, sc->tid, what);
		}
		/* Like the kernel: the lowest action, compared signed, wins. */
		if ((int32_t)(v & SECCOMP_RET_ACTION_FULL) <
		    (int32_t)(worst & SECCOMP_RET_ACTION_FULL))
			worst = v;
	}
	worst &= SECCOMP_RET_ACTION_FULL;
	if (worst == SECCOMP_RET_ALLOW || worst == SECCOMP_RET_LOG)
		return 0;
	*why = action_name(worst);
	return 1;
}

/*
 * The calls thread i must be allowed, in order: calls[0..n), the ones asked
 * for (so that a refusal names them first), then, with frame set and the
 * thread without a signal frame yet, the frame's own (target_frame.c).
 */
static const struct xs_syscall *nth_call(struct xs_tgt *g, size_t i, const struct xs_syscall *calls,
                                         size_t n, bool frame, size_t j)
{
	if (j < n)
		return &calls[j];
	if (!frame || g->ts[i].frame.base || j - n >= XS_TGT_FRAME_CALLS)
		return NULL;
	return &xs_tgt_frame_calls[j - n];
}

static int pick(struct xs_tgt *g, size_t first, bool others, const struct xs_syscall *calls,
                size_t n, bool frame, struct xs_syscall_denial *why)
{
	bool had_message = xs_error_message()[0] != '\0';
	size_t tries = others ? g->pub.nthreads : 1;
	int found = -1, err = 0;

	why->verdict = NULL;
	why->refused = NULL;
	if (first >= g->pub.nthreads)
		return xs_fail(-ESRCH, "pid %d: no thread #%zu (it has %zu)", g->pub.pid, first,
		               g->pub.nthreads);
	for (size_t k = 0; k < tries && found < 0; k++) {
		size_t i = (first + k) % g->pub.nthreads, j;
		const struct xs_syscall *c = NULL;
		const char *v = NULL;
		int rc = 0;

		if (!g->pub.threads[i].stopped)
			continue;
		for (j = 0; !rc && (c = nth_call(g, i, calls, n, frame, j)); j++)
			rc = thread_verdict(g, i, c, &v);
		if (!rc)
			found = (int)i;
		else if (rc < 0)
			err = err ? err : rc;
		else if (!why->verdict || j - 1 > why->call)
			*why = (struct xs_syscall_denial){ .call = j - 1,
				                           .refused = c,
				                           .tid = g->pub.threads[i].tid,
				                           .verdict = v };
	}
	if (found >= 0) {
		why->verdict = NULL;
		why->refused = NULL;
	}
	/* A thread whose filters we could not read does not matter when another one decides. */
	if ((found >= 0 || why->verdict) && err && !had_message)
		xs_error_clear();
	if (found >= 0)
		return found;
	if (why->verdict)
		return -EPERM;
	if (err)
		return err;
	return xs_fail(-ESRCH, "pid %d: no thread is stopped to run a system call in", g->pub.pid);
}

int xs_seccomp_pick(struct xs_tgt *g, size_t first, bool others, const struct xs_syscall *calls,
                    size_t n, struct xs_syscall_denial *why)
{
	return pick(g, first, others, calls, n, true, why);
}

int xs_seccomp_permits(struct xs_tgt *g, size_t i, const struct xs_syscall *c)
{
	struct xs_syscall_denial why;
	char what[192];
	int rc = pick(g, i, false, c, 1, false, &why);

	if (rc != -EPERM || !why.verdict)
		return rc < 0 ? rc : 0;
	xs_syscall_text(c, what, sizeof(what));
	return xs_fail(
	    -EPERM, "pid %d: the seccomp filter of thread %d forbids %s%s%s (verdict %s)",
	    g->pub.pid, why.tid, what, c->what ? " " : "", c->what ? c->what : "", why.verdict);
}
