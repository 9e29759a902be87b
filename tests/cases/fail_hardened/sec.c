/* SPDX-License-Identifier: MIT */
/*
 * fail_hardened seccomp target: before starting its threads it installs one
 * filter (every thread has it) and checks that it works. Usage: sec [MODE]
 *   noexec (default): mmap/mprotect/pkey_mprotect with PROT_EXEC fail (EPERM);
 *   mdwe: systemd's MemoryDenyWriteExecute=: mmap with PROT_WRITE|PROT_EXEC,
 *         mprotect/pkey_mprotect with PROT_EXEC, shmat with SHM_EXEC fail;
 *   nomemfd: memfd_create fails;
 *   kmdwe: no filter, but the kernel's own MDWE (PR_SET_MDWE, Linux 6.3+, which
 *          systemd 254+ prefers for MemoryDenyWriteExecute=): making a mapping
 *          executable by mprotect fails (EACCES); prints "kmdwe unsupported" and
 *          exits when the kernel lacks it.
 * Then like the compute target: workers and "tick N compute(7)=V" every 100 ms.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "tgt.h"

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

volatile int scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static int install(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = { .len = n, .filter = f };

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static bool denied(void *p)
{
	return p == MAP_FAILED && errno == EPERM;
}

static int no_exec_maps(void)
{
	struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 1, 0),
		ALLOW,
		LOAD(args[2]),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		DENY,
		ALLOW,
	};

	if (install(f, sizeof(f) / sizeof(f[0])))
		return -1;
	/* self-test: an executable mapping must now fail with EPERM */
	return denied(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ? 0 : -1;
}

/* As systemd's seccomp_memory_deny_write_execute() builds it for x86-64 (libseccomp's
 * SCMP_CMP_MASKED_EQ on the low word of the argument). */
static int mdwe(void)
{
	struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 8, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 7, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_shmat, 10, 0),
		ALLOW,
		/* mmap: prot & (W|X) == W|X */
		LOAD(args[2]),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 0, 1),
		DENY,
		ALLOW,
		/* mprotect, pkey_mprotect: prot & X */
		LOAD(args[2]),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		DENY,
		ALLOW,
		/* shmat: shmflg & SHM_EXEC */
		LOAD(args[2]),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 0, 1),
		DENY,
		ALLOW,
	};
	void *p;

	if (install(f, sizeof(f) / sizeof(f[0])))
		return -1;
	/* self-test: W|X mmap and mprotect to X fail, an r-x mmap works */
	if (!denied(mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)))
		return -1;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EPERM ||
	    munmap(p, 4096))
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED || munmap(p, 4096) ? -1 : 0;
}

static int no_memfd(void)
{
	struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_memfd_create, 0, 1),
		DENY,
		ALLOW,
	};

	if (install(f, sizeof(f) / sizeof(f[0])))
		return -1;
	return syscall(SYS_memfd_create, "x", 0) == -1 && errno == EPERM ? 0 : -1;
}

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static int kernel_mdwe(void)
{
	void *p;

	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)) {
		if (errno == EINVAL)
			say("kmdwe unsupported\n");
		return -1;
	}
	/* self-test: mprotect to X fails, an r-x mmap works */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EACCES ||
	    munmap(p, 4096))
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED || munmap(p, 4096) ? -1 : 0;
}

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long n = 0;; n++) {
		compute(7);
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "noexec";
	pthread_t t;
	int rc;

	if (!strcmp(mode, "mdwe"))
		rc = mdwe();
	else if (!strcmp(mode, "nomemfd"))
		rc = no_memfd();
	else if (!strcmp(mode, "kmdwe"))
		rc = kernel_mdwe();
	else
		rc = no_exec_maps();
	if (rc) {
		say("seccomp setup (%s) failed errno=%d\n", mode, errno);
		return 1;
	}
	say("seccomp on\n");
	say("addr compute %p\n", (void *)compute);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t, NULL, worker, NULL))
			return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
