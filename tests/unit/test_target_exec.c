/* SPDX-License-Identifier: MIT */
/*
 * The target door, exec side: system calls run inside a stopped process,
 * function calls (one crashing, one spinning, one creating a thread), running
 * a thread until it returns, single steps, memory writes to text, and
 * seccomp refusals.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "target_fixture.h"
#include "target/target_int.h"

#define REC_DEPTH 5

/* The return stub of injected calls (xs_arch_return_stub) in our text: children
 * are forks, so it is at the same address there. */
__asm__(".pushsection .text\n.globl xs_test_stub\n.type xs_test_stub, @function\n"
        "xs_test_stub:\n\tmov %rax, %rdi\n\tmov $39, %eax\n\tsyscall\n"
        "\tmov $15, %eax\n\tsyscall\n.popsection\n");
extern char xs_test_stub[];

static int cmd_pipe[2];
static volatile long rec_sink;
static volatile int rec_mode;

/* --- functions called inside the children -------------------------------------- */

__attribute__((noinline, used)) int add(int a, int b)
{
	return a + b;
}

__attribute__((noinline, used)) uint64_t mix6(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                              uint64_t e, uint64_t f)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

static int *volatile bad_ptr = (int *)0x10;

__attribute__((noinline, used, no_sanitize("address", "undefined"))) int crash(void)
{
	*bad_ptr = 1;
	return 0;
}

__attribute__((noinline, used)) int spin(void)
{
	for (volatile int i = 0;; i++)
		;
	return 0;
}

static void *spawned_worker(void *arg)
{
	(void)arg;
	sh->worker = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct timespec ts = { 0, 1000000 };

		syscall(SYS_nanosleep, &ts, NULL);
		sh->spawned++;
	}
	return NULL;
}

__attribute__((noinline, used)) int spawn_one(void)
{
	pthread_t th;
	int rc = pthread_create(&th, NULL, spawned_worker, NULL);

	if (!rc)
		pthread_detach(th);
	return rc;
}

/* --- children -------------------------------------------------------------------- */

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sh->sig_value = si->si_value.sival_int;
	sh->sig_count++;
}

static void on_trap(int sig)
{
	(void)sig;
	sh->trap_count++;
}

/* Main thread blocks in read() with SIGTRAP and SIGSEGV blocked and handled. */
static void child_call(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGTRAP, on_trap);
	signal(SIGSEGV, on_trap);
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sh->ready[0] = 1;
	for (;;) {
		char c;
		long r = syscall(SYS_read, cmd_pipe[0], &c, 1);

		sh->main_err = r < 0 ? errno : 0;
		sh->main_ret = r;
		sh->loops++;
	}
}

__attribute__((noinline)) static void sleeper(void)
{
	struct timespec ts = { 0, 300000000 };

	sh->ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
	sh->cfa = (uint64_t)(uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *);
	sh->in_sleep = 1;
	syscall(SYS_nanosleep, &ts, NULL);
	sh->in_sleep = 0;
}

/* Levels below REC_DEPTH - 1 return to the same address, deeper on the stack. */
__attribute__((noinline, noipa)) static int rec(int n)
{
	struct timespec ts = { 0, 300000000 };
	int r;

	if (n == 0) {
		sh->in_sleep = 1;
		syscall(SYS_nanosleep, &ts, NULL);
		sh->in_sleep = 0;
		return 0;
	}
	if (n == REC_DEPTH - 1) {
		sh->ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
		sh->cfa = (uint64_t)(uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *);
	}
	r = rec(n - 1);
	rec_sink += r;
	return r + 1;
}

static void *sleeper_thread(void *arg)
{
	(void)arg;
	sh->worker = (pid_t)syscall(SYS_gettid);
	for (;;) {
		if (rec_mode)
			rec(REC_DEPTH);
		else
			sleeper();
		sh->loops++;
	}
	return NULL;
}

static void child_sleeper(void)
{
	pthread_t th;

	pthread_create(&th, NULL, sleeper_thread, NULL);
	for (;;)
		pause();
}

static void child_sleeper_rec(void)
{
	rec_mode = 1;
	child_sleeper();
}

static int seccomp_kind;

static void install_filter(uint32_t action)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { XS_ARRAY_SIZE(f), f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		_exit(3);
}

/* Refuses what a signal frame's mask read is: rt_sigprocmask with no new set. */
static void install_mask_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigprocmask, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { XS_ARRAY_SIZE(f), f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		_exit(3);
}

static void child_seccomp(void)
{
	if (seccomp_kind == 2) {
		char c;
		long r;

		sh->ready[0] = 1;
		syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
		r = syscall(SYS_read, cmd_pipe[0], &c, 1);
		sh->main_ret = r;
		syscall(SYS_exit, 0);
	}
	if (seccomp_kind == 3)
		install_mask_filter();
	else
		install_filter(SECCOMP_RET_ERRNO | EPERM);
	if (seccomp_kind == 1)
		install_filter(SECCOMP_RET_KILL_PROCESS);
	sh->ready[0] = 1;
	for (;;) {
		struct timespec ts = { 0, 5000000 };

		syscall(SYS_nanosleep, &ts, NULL);
		sh->loops++;
	}
}

/* --- tests ------------------------------------------------------------------------- */

/* Inside some mapping (a new one may merge with its neighbour). */
static bool in_maps(pid_t pid, uint64_t addr)
{
	char buf[65536];

	if (read_proc(pid, 0, "maps", buf, sizeof(buf)))
		return false;
	for (char *line = buf; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && addr >= lo && addr < hi)
			return true;
	}
	return false;
}

static void test_memory_and_syscalls(struct xs_target *t, pid_t pid)
{
	uint64_t a[6] = {
		0, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0
	};
	unsigned char text[2], patch[2] = { 0x90, 0x66 }, back[2];
	char msg[16] = "hello, target", got[16] = "";
	long addr = 0, ret = -1;
	long long t0;
	int rc, n;

	rc = xs_target_syscall(t, SYS_mmap, a, &addr);
	check(rc == 0 && addr > 0 && !(addr & 4095) && in_maps(pid, (uint64_t)addr),
	      "injected mmap: 0x%lx, listed in /proc/%d/maps", addr, pid);
	check(!xs_target_write(t, (uint64_t)addr + 100, msg, sizeof(msg)) &&
	          !xs_proc_read(pid, (uint64_t)addr + 100, got, sizeof(got)) && !strcmp(got, msg),
	      "write to the new mapping, read back without attaching");
	a[0] = (uint64_t)addr;
	rc = xs_target_syscall(t, SYS_munmap, a, &ret);
	check(rc == 0 && ret == 0 && !in_maps(pid, (uint64_t)addr), "injected munmap removes it");
	rc = xs_target_read(t, (uintptr_t)xs_test_stub + 1, text, 2);
	rc = rc ? rc : xs_target_write(t, (uintptr_t)xs_test_stub + 1, patch, 2);
	rc = rc ? rc : xs_target_read(t, (uintptr_t)xs_test_stub + 1, back, 2);
	check(!rc && !memcmp(back, patch, 2) &&
	          !xs_target_write(t, (uintptr_t)xs_test_stub + 1, text, 2),
	      "write to read-only text through /proc/pid/mem (and back)");
	rc = xs_target_read(t, 8, got, 4);
	check(rc == -EFAULT && strstr(xs_error_message(), "0x8-0xc"),
	      "unmapped read: -EFAULT \"%s\"", xs_error_message());
	xs_error_clear();
	t0 = now_us();
	for (n = 0; n < 100 && !xs_target_syscall(t, SYS_getpid, a, &ret) && ret == pid; n++)
		;
	check(n == 100, "100 injected getpid calls");
	printf("  one injected system call: %lld us\n", (now_us() - t0) / 100);
}

/* Done after *arg steps (an int counted down). */
static bool after_steps(void *arg, uint64_t pc)
{
	int *n = arg;

	(void)pc;
	return (*n)-- <= 0;
}

static void test_calls(void)
{
	const uint64_t two[2] = { 40, 2 }, six[6] = { 1, 2, 3, 4, 5, 6 };
	uint64_t ret = 0, stub = (uintptr_t)xs_test_stub;
	unsigned long long blk, cgt;
	struct xs_target *t = NULL;
	union sigval v = { .sival_int = 7 };
	long long t0;
	ssize_t w;
	pid_t pid;
	bool ok;
	int rc, n;

	reset_shared();
	if (pipe(cmd_pipe)) {
		check(false, "pipe");
		return;
	}
	pid = spawn(child_call);
	check(WAIT_FOR(sh->ready[0] == 1, 10000), "call target waits in read()");
	sleep_us(50000);
	blk = status_num(pid, 0, "SigBlk", 16);
	cgt = status_num(pid, 0, "SigCgt", 16);
	rc = xs_target_attach(pid, 1000, &t);
	check(rc == 0, "attach");
	if (rc)
		goto out;
	test_memory_and_syscalls(t, pid);

	t0 = now_us();
	rc = xs_target_call(t, (uintptr_t)add, two, 2, stub, 1000, &ret);
	check(rc == 0 && (int)ret == 42, "call add(40, 2) = %d in %lld us", (int)ret,
	      now_us() - t0);
	rc = xs_target_call(t, (uintptr_t)mix6, six, 6, stub, 1000, &ret);
	check(rc == 0 && ret == 91, "call mix6(1..6) = %llu", (unsigned long long)ret);

	rc = xs_target_call(t, (uintptr_t)crash, NULL, 0, stub, 1000, &ret);
	check(rc == -EFAULT && strstr(xs_error_message(), "crashed with SIGSEGV at 0x") &&
	          strstr(xs_error_message(), "address 0x10"),
	      "crashing call: -EFAULT \"%s\"", xs_error_message());
	xs_error_clear();
	rc = xs_target_call(t, (uintptr_t)add, two, 2, stub, 1000, &ret);
	check(rc == 0 && (int)ret == 42, "target still works after the crash");

	/* SIGTRAP blocked and handled: as it was after the steps (checked below). */
	n = 100;
	t0 = now_us();
	rc = xs_target_step_to(t, 0, 8, 50, after_steps, &n);
	check(rc == -ETIMEDOUT && t->threads[0].stopped,
	      "single step into the read() that blocks: -ETIMEDOUT after %lld ms \"%s\"",
	      (now_us() - t0) / 1000, xs_error_message());
	xs_error_clear();

	t0 = now_us();
	rc = xs_target_call(t, (uintptr_t)spin, NULL, 0, stub, 100, &ret);
	check(rc == -ETIMEDOUT && now_us() - t0 < 3000000,
	      "spinning call: -ETIMEDOUT after %lld ms \"%s\"", (now_us() - t0) / 1000,
	      xs_error_message());
	xs_error_clear();

	sigqueue(pid, SIGUSR1, v);
	sleep_us(5000);
	rc = xs_target_call(t, (uintptr_t)add, two, 2, stub, 1000, &ret);
	check(rc == 0 && (int)ret == 42 && sh->sig_count == 0,
	      "call with a signal arriving: held for later");

	size_t nt = t->nthreads;

	rc = xs_target_call(t, (uintptr_t)spawn_one, NULL, 0, stub, 2000, &ret);
	pid_t born = t->nthreads == nt + 1 ? t->threads[nt].tid : 0;

	check(rc == 0 && ret == 0 && born && t->threads[nt].stopped &&
	          proc_state(pid, born) == 't' && sh->worker == 0,
	      "thread created by the callee is held stopped before running (tid %d)", born);
	xs_target_detach(t);
	check(WAIT_FOR(sh->worker == born, 10000), "and runs after detach");

	check(WAIT_FOR(sh->sig_count == 1, 10000) && sh->sig_value == 7,
	      "held signal delivered once after detach");
	check(WAIT_FOR(sh->spawned > 3, 10000), "the new thread runs after detach");
	w = write(cmd_pipe[1], "x", 1);
	ok = w == 1 && WAIT_FOR(sh->loops == 1, 10000);
	check(ok && sh->main_ret == 1 && sh->main_err == 0,
	      "the read() the main thread was in returns 1, no EINTR (got %ld, errno %d)",
	      sh->main_ret, sh->main_err);
	/* Standard signals only: glibc adds its own real-time handlers at pthread_create. */
	check(
	    status_num(pid, 0, "SigBlk", 16) == blk &&
	        (status_num(pid, 0, "SigCgt", 16) & 0xffffffff) == (cgt & 0xffffffff),
	    "blocked and handled SIGTRAP/SIGSEGV: mask and handlers unchanged after trap and crash (SigBlk %llx -> %llx, SigCgt %llx -> %llx)",
	    blk, status_num(pid, 0, "SigBlk", 16), cgt, status_num(pid, 0, "SigCgt", 16));
	check(sh->trap_count == 0 && alive(pid), "no SIGTRAP/SIGSEGV reached the target");
out:
	finish(pid);
	close(cmd_pipe[0]);
	close(cmd_pipe[1]);
}

/* Single steps of the sleeper, alone: none when done at once, then as many
 * as asked, -EAGAIN when they run out; it loops on after the detach. */
static void test_steps(void)
{
	struct xs_target *t = NULL;
	uint64_t pc;
	ssize_t i;
	pid_t pid;
	long loops;
	int n, rc;

	reset_shared();
	pid = spawn(child_sleeper);
	check(WAIT_FOR(sh->loops > 0 && sh->in_sleep == 1, 10000),
	      "steps: thread sleeps in a function");
	rc = xs_target_attach(pid, 1000, &t);
	i = rc ? -1 : thread_index(t, sh->worker);
	if (i < 0) {
		check(false, "steps: attach and find the thread");
		goto out;
	}
	pc = xs_arch_pc(&t->threads[i].regs);
	n = 0;
	rc = xs_target_step_to(t, (size_t)i, 8, 1000, after_steps, &n);
	check(rc == 0 && xs_arch_pc(&t->threads[i].regs) == pc, "steps: none when done at once");
	/* The first ends the interrupted nanosleep (restarted: up to 300 ms). */
	n = 3;
	rc = xs_target_step_to(t, (size_t)i, 8, 1000, after_steps, &n);
	check(rc == 0 && n < 0 && t->threads[i].stopped, "steps: 3 (pc 0x%llx -> 0x%llx)",
	      (unsigned long long)pc, (unsigned long long)xs_arch_pc(&t->threads[i].regs));
	/* Held in an interrupt's stop, reached by a PTRACE_CONT: no trap flag
	 * left that would kill it, untraced, should we die now. */
	check(xs_tgt(t)->ts[i].stop == XS_STOP_TRAP, "steps: held in an interrupt's stop (stop %d)",
	      (int)xs_tgt(t)->ts[i].stop);
	n = 100;
	rc = xs_target_step_to(t, (size_t)i, 2, 1000, after_steps, &n);
	check(rc == -EAGAIN && strstr(xs_error_message(), "after 2 single steps") &&
	          t->threads[i].stopped,
	      "steps: -EAGAIN when they run out \"%s\"", xs_error_message());
	xs_error_clear();
	xs_target_detach(t);
	loops = sh->loops;
	check(WAIT_FOR(sh->loops > loops + 1, 10000) && alive(pid),
	      "steps: thread loops on afterwards");
out:
	finish(pid);
}

static bool fresh_sleep(long loops)
{
	return sh->loops > loops && sh->in_sleep == 1;
}

static void run_until_case(void (*child)(void), long timeout_ms, const char *what)
{
	struct xs_target *t = NULL;
	unsigned char before, after;
	long long t0, ms;
	ssize_t i;
	pid_t pid;
	long loops;
	int rc;

	reset_shared();
	pid = spawn(child);
	check(WAIT_FOR(sh->loops > 0 && sh->in_sleep == 1, 10000),
	      "%s: thread sleeps 300 ms in a function", what);
	loops = sh->loops;
	WAIT_FOR(fresh_sleep(loops), 10000);
	rc = xs_target_attach(pid, 1000, &t);
	i = rc ? -1 : thread_index(t, sh->worker);
	if (i < 0) {
		check(false, "%s: attach and find the thread", what);
		goto out;
	}
	xs_target_read(t, sh->ra, &before, 1);
	t0 = now_us();
	rc = xs_target_run_until_return(t, (size_t)i, sh->ra, sh->cfa, timeout_ms);
	ms = (now_us() - t0) / 1000;
	xs_target_read(t, sh->ra, &after, 1);
	if (timeout_ms > 300) {
		check(rc == 0 && ms < 1000 && xs_arch_pc(&t->threads[i].regs) == sh->ra &&
		          xs_arch_sp(&t->threads[i].regs) == sh->cfa,
		      "%s: returned after %lld ms, pc at the return address, sp at the caller's",
		      what, ms);
	} else {
		check(rc == -ETIMEDOUT && ms >= timeout_ms && ms < 1000 && t->threads[i].stopped,
		      "%s: -ETIMEDOUT after %lld ms, thread stopped \"%s\"", what, ms,
		      xs_error_message());
		xs_error_clear();
	}
	check(before == after && after != 0xcc, "%s: code at the return address restored", what);
	check(!xs_target_resume(t) && !xs_target_stop(t, 3000), "%s: resume and stop again", what);
	xs_target_detach(t);
	loops = sh->loops;
	check(WAIT_FOR(sh->loops > loops + 1, 10000) && alive(pid),
	      "%s: thread loops on afterwards", what);
out:
	finish(pid);
}

static void test_seccomp_child(int kind, const char *verdict)
{
	uint64_t x[6] = { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1,
		          0 };
	uint64_t rw[6] = {
		0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0
	};
	char maps1[65536], maps2[65536];
	struct xs_target *t = NULL;
	long ret = 0, loops;
	pid_t pid;
	int rc;

	reset_shared();
	seccomp_kind = kind;
	pid = spawn(child_seccomp);
	check(WAIT_FOR(sh->ready[0] == 1 && sh->loops > 1, 10000), "seccomp target (%s) runs",
	      verdict);
	rc = xs_target_attach(pid, 1000, &t);
	read_proc(pid, 0, "maps", maps1, sizeof(maps1));
	rc = rc ? rc : xs_target_syscall(t, SYS_mmap, x, &ret);
	read_proc(pid, 0, "maps", maps2, sizeof(maps2));
	check(rc == -EPERM &&
	          strstr(xs_error_message(),
	                 "no thread's seccomp filter allows mmap(0x0, 0x1000, 0x5") &&
	          strstr(xs_error_message(), verdict) && !strcmp(maps1, maps2),
	      "mmap(PROT_EXEC) refused, not run: \"%s\"", xs_error_message());
	xs_error_clear();
	rc = xs_target_syscall(t, SYS_mmap, rw, &ret);
	check(rc == 0 && ret > 0, "mmap without PROT_EXEC allowed: 0x%lx", ret);
	xs_target_detach(t);
	loops = sh->loops;
	check(WAIT_FOR(sh->loops > loops + 2, 10000) && alive(pid),
	      "seccomp target alive afterwards");
	finish(pid);
}

/*
 * A call the filter allows, in a thread whose filter refuses the signal
 * frame's own system calls (here the mask read, with KILL_PROCESS): refused
 * before anything runs, naming the frame's call.
 */
static void test_seccomp_frame(void)
{
	uint64_t none[6] = { 0 };
	char maps1[65536], maps2[65536];
	struct xs_target *t = NULL;
	long ret = 0, loops;
	pid_t pid;
	int rc;

	reset_shared();
	seccomp_kind = 3;
	pid = spawn(child_seccomp);
	check(WAIT_FOR(sh->ready[0] == 1 && sh->loops > 1, 10000),
	      "seccomp target (no mask read) runs");
	rc = xs_target_attach(pid, 1000, &t);
	read_proc(pid, 0, "maps", maps1, sizeof(maps1));
	rc = rc ? rc : xs_target_syscall(t, SYS_getpid, none, &ret);
	read_proc(pid, 0, "maps", maps2, sizeof(maps2));
	check(rc == -EPERM &&
	          strstr(xs_error_message(), "allows rt_sigprocmask(0x0, 0x0, 0x0, 0x8") &&
	          strstr(xs_error_message(), "signal frame") &&
	          strstr(xs_error_message(), "KILL_PROCESS") && !strcmp(maps1, maps2),
	      "getpid refused for the frame's mask read: \"%s\"", xs_error_message());
	xs_error_clear();
	xs_target_detach(t);
	loops = sh->loops;
	check(WAIT_FOR(sh->loops > loops + 2, 10000) && alive(pid),
	      "seccomp target (no mask read) alive afterwards");
	finish(pid);
}

static void test_seccomp(void)
{
	struct xs_target *t = NULL;
	uint64_t a[6] = { 0 };
	long ret;
	int rc;

	test_seccomp_child(0, "ERRNO");
	test_seccomp_child(1, "KILL_PROCESS");
	test_seccomp_frame();

	reset_shared();
	seccomp_kind = 2;
	if (pipe(cmd_pipe))
		return;
	pid_t pid = spawn(child_seccomp);

	check(WAIT_FOR(sh->ready[0] == 1, 10000), "strict-mode target");
	sleep_us(50000);
	rc = xs_target_attach(pid, 1000, &t);
	rc = rc ? rc : xs_target_syscall(t, SYS_getpid, a, &ret);
	check(rc == -EPERM && strstr(xs_error_message(), "strict mode"),
	      "strict mode: -EPERM \"%s\"", xs_error_message());
	xs_error_clear();
	xs_target_detach(t);
	check(write(cmd_pipe[1], "x", 1) == 1 && WAIT_FOR(sh->main_ret == 1, 10000),
	      "strict-mode target's read() completes after detach");
	finish(pid);
	close(cmd_pipe[0]);
	close(cmd_pipe[1]);
}

static void test_bpf(void)
{
	struct seccomp_data d = { .nr = 9, .arch = AUDIT_ARCH_X86_64, .args = { 0, 0, 7 } };
	struct sock_filter div0[] = { BPF_STMT(BPF_LDX | BPF_IMM, 0),
		                      BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_filter out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		                     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_filter odd[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		                     BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter end[] = { BPF_STMT(BPF_LD | BPF_IMM, 1) };
	struct sock_filter mem[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 32),  BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),          BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 16), BPF_STMT(BPF_RET | BPF_A, 0)
	};
	uint32_t v = 1;

	check(!xs_seccomp_run(div0, 3, &d, &v) && v == 0, "bpf: division by zero returns 0 (KILL)");
	check(xs_seccomp_run(out, 2, &d, &v) == -EINVAL, "bpf: jump past the end refused");
	check(xs_seccomp_run(odd, 2, &d, &v) == -EINVAL, "bpf: misaligned load refused");
	check(xs_seccomp_run(end, 1, &d, &v) == -EINVAL, "bpf: falling off the end refused");
	check(!xs_seccomp_run(mem, 6, &d, &v) && v == 7u << 16, "bpf: scratch memory, TXA, shift");
}

int main(void)
{
	fixture_init();
	test_bpf();
	test_calls();
	run_until_case(child_sleeper, 1000, "run until return");
	run_until_case(child_sleeper, 50, "run until return, 50 ms timeout");
	run_until_case(child_sleeper_rec, 1000, "run until return through recursion");
	test_steps();
	test_seccomp();
	return fixture_done();
}
