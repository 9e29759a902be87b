/* SPDX-License-Identifier: MIT */
/*
 * Before we run a system call inside the target, run its seccomp filters
 * (fetched with PTRACE_SECCOMP_GET_FILTER) in a small classic-BPF interpreter:
 * a call the filter would refuse is never made, since a KILL verdict would
 * kill the target and an ERRNO one would only mislead us.
 */
#include "target_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "error.h"

#define MAX_FILTERS 1024 /* the kernel caps the total at 32768 instructions anyway */

struct xs_seccomp {
	pid_t tid;   /* whose filters (they are per thread) */
	int mode;    /* 0 none, 1 strict, 2 filter */
	unsigned n;  /* filters, newest first like the kernel walks them */
	struct sock_filter **prog;
	unsigned *len;
};

static const char *const names[] = {
	[SYS_read] = "read", [SYS_write] = "write", [SYS_mmap] = "mmap",
	[SYS_mprotect] = "mprotect", [SYS_munmap] = "munmap", [SYS_madvise] = "madvise",
	[SYS_getpid] = "getpid", [SYS_gettid] = "gettid", [SYS_rt_sigaction] = "rt_sigaction",
	[SYS_rt_sigprocmask] = "rt_sigprocmask", [SYS_memfd_create] = "memfd_create",
	[SYS_open] = "open", [SYS_openat] = "openat", [SYS_close] = "close",
	[SYS_mremap] = "mremap", [SYS_membarrier] = "membarrier", [SYS_msync] = "msync",
	[SYS_prctl] = "prctl", [SYS_getrandom] = "getrandom", [SYS_exit] = "exit",
};

static void call_text(long nr, const uint64_t args[6], char *buf, size_t len)
{
	const char *name = nr >= 0 && (size_t)nr < XS_ARRAY_SIZE(names) ? names[nr] : NULL;
	int n = name ? snprintf(buf, len, "%s(", name) : snprintf(buf, len, "syscall %ld(", nr);

	for (int i = 0; i < 6 && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s0x%llx", i ? ", " : "", (unsigned long long)args[i]);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ")");
}

static const char *action_name(uint32_t action)
{
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
	case SECCOMP_RET_TRAP: return "TRAP";
	case SECCOMP_RET_ERRNO: return "ERRNO";
	case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
	case SECCOMP_RET_TRACE: return "TRACE";
	case SECCOMP_RET_LOG: return "LOG";
	case SECCOMP_RET_ALLOW: return "ALLOW";
	default: return "unknown";
	}
}

/* Returns 0 and sets *a, or 1 for a division by zero (the program returns 0). */
static int alu(uint16_t code, uint32_t *a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_ADD: *a += v; break;
	case BPF_SUB: *a -= v; break;
	case BPF_MUL: *a *= v; break;
	case BPF_DIV: if (!v) return 1; *a /= v; break;
	case BPF_MOD: if (!v) return 1; *a %= v; break;
	case BPF_OR: *a |= v; break;
	case BPF_AND: *a &= v; break;
	case BPF_XOR: *a ^= v; break;
	case BPF_LSH: *a <<= v & 31; break;
	case BPF_RSH: *a >>= v & 31; break;
	case BPF_NEG: *a = -*a; break;
	default: return -EINVAL;
	}
	return 0;
}

static int jump(uint16_t code, uint32_t a, uint32_t v, bool *taken)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ: *taken = a == v; break;
	case BPF_JGT: *taken = a > v; break;
	case BPF_JGE: *taken = a >= v; break;
	case BPF_JSET: *taken = (a & v) != 0; break;
	default: return -EINVAL;
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
		case BPF_LD | BPF_W | BPF_LEN: A = sizeof(*d); continue;
		case BPF_LDX | BPF_W | BPF_LEN: X = sizeof(*d); continue;
		case BPF_LD | BPF_IMM: A = k; continue;
		case BPF_LDX | BPF_IMM: X = k; continue;
		case BPF_MISC | BPF_TAX: X = A; continue;
		case BPF_MISC | BPF_TXA: A = X; continue;
		case BPF_RET | BPF_K: *verdict = k; return 0;
		case BPF_RET | BPF_A: *verdict = A; return 0;
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

void xs_seccomp_forget(struct xs_tgt *g)
{
	struct xs_seccomp *sc = g->sc;

	if (!sc)
		return;
	for (unsigned i = 0; i < sc->n; i++)
		free(sc->prog[i]);
	free(sc->prog);
	free(sc->len);
	free(sc);
	g->sc = NULL;
}

static int fetch_error(pid_t pid, pid_t tid, int err)
{
	const char *why = err == EACCES ? "needs CAP_SYS_ADMIN and no seccomp filter of our own"
			: "the kernel lacks PTRACE_SECCOMP_GET_FILTER (CONFIG_CHECKPOINT_RESTORE)";

	return xs_fail(-EPERM, "pid %d: thread %d runs under a seccomp filter we cannot read (%s), so no system call is run in it",
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
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(unsigned long)k, sc->prog[k]) != n)
			return fetch_error(pid, tid, errno);
	}
	return xs_fail(-EPERM, "pid %d: thread %d has over %d seccomp filters", pid, tid, MAX_FILTERS);
}

/* Mode and filters of thread i, kept until the threads run again. */
static int load(struct xs_tgt *g, size_t i)
{
	pid_t pid = g->pub.pid, tid = g->pub.threads[i].tid;
	struct xs_seccomp *sc;
	char val[16];
	int rc;

	xs_seccomp_forget(g);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return xs_fail(-ENOMEM, "pid %d: no memory", pid);
	sc->tid = tid;
	g->sc = sc;
	rc = xs_tgt_status_field(pid, tid, "Seccomp", val, sizeof(val));
	if (rc == -ENOENT)
		return 0; /* kernel without seccomp */
	if (rc)
		return xs_fail(-ESRCH, "pid %d: thread %d is gone", pid, tid);
	sc->mode = atoi(val);
	return sc->mode == SECCOMP_MODE_FILTER ? fetch_filters(g, sc) : 0;
}

int xs_seccomp_permits(struct xs_tgt *g, size_t i, long nr, const uint64_t args[6])
{
	uint32_t worst = SECCOMP_RET_ALLOW;
	struct seccomp_data d;
	char what[192];
	int rc;

	if (!g->sc || g->sc->tid != g->pub.threads[i].tid) {
		rc = load(g, i);
		if (rc) {
			xs_seccomp_forget(g);
			return rc;
		}
	}
	if (g->sc->mode == SECCOMP_MODE_DISABLED)
		return 0;
	call_text(nr, args, what, sizeof(what));
	if (g->sc->mode != SECCOMP_MODE_FILTER)
		return xs_fail(-EPERM, "pid %d: thread %d is in seccomp strict mode: refusing to run %s",
			       g->pub.pid, g->pub.threads[i].tid, what);
	memset(&d, 0, sizeof(d));
	d.nr = (int)nr;
	d.arch = XS_ARCH_AUDIT;
	d.instruction_pointer = g->pub.syscall_insn + XS_ARCH_SYSCALL_SIZE; /* ip after the insn */
	memcpy(d.args, args, sizeof(d.args));
	for (unsigned k = 0; k < g->sc->n; k++) {
		uint32_t v;

		if (xs_seccomp_run(g->sc->prog[k], g->sc->len[k], &d, &v))
			return xs_fail(-EPERM, "pid %d: cannot evaluate seccomp filter %u of thread %d: refusing to run %s",
				       g->pub.pid, k, g->pub.threads[i].tid, what);
		/* Like the kernel: the lowest action, compared signed, wins. */
		if ((int32_t)(v & SECCOMP_RET_ACTION_FULL) < (int32_t)(worst & SECCOMP_RET_ACTION_FULL))
			worst = v;
	}
	worst &= SECCOMP_RET_ACTION_FULL;
	if (worst == SECCOMP_RET_ALLOW || worst == SECCOMP_RET_LOG)
		return 0;
	return xs_fail(-EPERM, "pid %d: seccomp filter forbids %s (verdict %s)", g->pub.pid, what,
		       action_name(worst));
}
