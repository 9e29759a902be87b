/* SPDX-License-Identifier: MIT */
/*
 * fail_hardened seccomp target: before starting its threads it installs a
 * filter that fails mmap/mprotect/pkey_mprotect with PROT_EXEC (EPERM), and
 * checks it works. Then like the compute target: workers and
 * "tick N compute(7)=V" every 100 ms.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "tgt.h"

volatile int scale = 2;

__attribute__((noinline, noipa)) int compute(int x)
{
	return x * scale;
}

static int no_exec_maps(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -1;
	/* self-test: an executable mapping must now fail with EPERM */
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED ||
	    errno != EPERM)
		return -1;
	return 0;
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

int main(void)
{
	pthread_t t;

	if (no_exec_maps()) {
		say("seccomp setup failed errno=%d\n", errno);
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
