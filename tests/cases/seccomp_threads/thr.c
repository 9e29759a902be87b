/* SPDX-License-Identifier: MIT */
/*
 * seccomp_threads target: threads with different seccomp filters. Two workers
 * call compute(7) in a loop and print "tI compute(7)=V" when the value
 * changes; then a filter failing mmap/mprotect/pkey_mprotect with PROT_EXEC
 * (EPERM) is installed: MODE main: in the main thread only (the workers keep
 * none, like memcached's); MODE all: in every thread (SECCOMP_FILTER_FLAG_TSYNC).
 * MODE mask: instead, in the main thread only, a filter failing
 * rt_sigprocmask with no new set (EPERM), the read of the signal mask that
 * every signal frame xsplice makes in a thread starts with.
 * The main thread prints "tick N compute(7)=V" every 100 ms. Usage: thr MODE
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
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

static int no_exec_maps(unsigned flags)
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

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog))
		return -1;
	/* self-test: an executable mapping must now fail with EPERM */
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED ||
	    errno != EPERM)
		return -1;
	return 0;
}

static int no_mask_read(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigprocmask, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	unsigned long long set;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -1;
	/* self-test: reading the mask must now fail with EPERM */
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &set, sizeof(set)) != -1 || errno != EPERM)
		return -1;
	return 0;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;

	for (unsigned long n = 1;; n++) {
		int v = compute(7);

		if (v != last) {
			say("t%ld compute(7)=%d\n", id, v);
			last = v;
		}
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int all = argc > 1 && !strcmp(argv[1], "all"), mask = argc > 1 && !strcmp(argv[1], "mask");

	for (long i = 0; i < 2; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, (void *)i))
			return 1;
	}
	if (mask ? no_mask_read() : no_exec_maps(all ? SECCOMP_FILTER_FLAG_TSYNC : 0)) {
		say("seccomp setup failed errno=%d\n", errno);
		return 1;
	}
	say("seccomp on\n");
	say("addr compute %p\n", (void *)compute);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu compute(7)=%d\n", tick, compute(7));
	}
}
