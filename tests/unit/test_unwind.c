/* SPDX-License-Identifier: MIT */
/*
 * Unit test for src/unwind/unwind.c: builds small target programs at run time, stops
 * their threads with its own minimal ptrace code, unwinds them and checks the
 * frames against the programs' symbols; also code in anonymous memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/error.h"
#include "unwind/unwind.h"
#include "unwind_targets.h"
#include "target/warm_pages.h"

#define MAX_FRAMES 64
#define MAX_THREADS 256

static char dir[] = "/tmp/xs-unwind-XXXXXX";

/* --- target programs (sources in unwind_targets.h) --------------------------------------- */

static int build_all(void)
{
	static const struct {
		const char *name, *text;
	} src[] = {
		{ "chain.c", chain_c },
		{ "threads.c", threads_c },
		{ "pl.c", pl_c },
		{ "payload.c", payload_c },
	};
	char cmd[1024];

	if (!mkdtemp(dir))
		return -errno;
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		FILE *f;
		bool ok;

		snprintf(cmd, sizeof(cmd), "%s/%s", dir, src[i].name);
		f = fopen(cmd, "w");
		ok = f && fputs(src[i].text, f) >= 0;
		if (!f || fclose(f) || !ok)
			return -EIO;
	}
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && timeout 120 gcc -O2 -fomit-frame-pointer -o chain chain.c && "
	    "timeout 120 gcc -O2 -fomit-frame-pointer -pthread -o threads threads.c && "
	    "timeout 120 gcc -O2 -fPIC -shared -fasynchronous-unwind-tables -fomit-frame-pointer "
	    "-fno-optimize-sibling-calls -Wl,-z,now -o pl.so pl.c && "
	    "timeout 120 gcc -O2 -fno-omit-frame-pointer -pthread -rdynamic -o payload payload.c -ldl",
	    dir);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* --- ELF facts about the programs (libelf) ------------------------------------------- */

struct range {
	const char *name;
	uint64_t lo, hi;
};

/*
 * [start, + size) + bias in a file of the temp dir: the section when name
 * starts with '.', the executable segment for "text", else a .symtab symbol.
 */
static struct range elf_range(const char *file, const char *name, uint64_t bias)
{
	struct range r = { name, 0, 0 };
	char path[256];
	int fd;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx = 0, nph = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	elf = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !strcmp(name, "text") && elf_getphdrnum(elf, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X))
				r.lo = ph.p_vaddr, r.hi = ph.p_vaddr + ph.p_memsz;
		}
	while (elf && elf_getshdrstrndx(elf, &shstrndx) == 0 && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (name[0] == '.' && (n = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			r.lo = sh.sh_addr, r.hi = sh.sh_addr + sh.sh_size;
		if (name[0] == '.' || sh.sh_type != SHT_SYMTAB || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym y;

			if (gelf_getsym(d, (int)i, &y) && y.st_size &&
			    (n = elf_strptr(elf, sh.sh_link, y.st_name)) && !strcmp(n, name))
				r.lo = y.st_value, r.hi = y.st_value + y.st_size;
		}
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (r.hi) {
		r.lo += bias;
		r.hi += bias;
	}
	return r;
}

/* --- the child and its threads ---------------------------------------------------- */

struct child {
	pid_t pid;
	int out;
	char buf[4096];
	size_t len;
	struct xs_target t;
};

/* Run "sh -c script" in the temp dir; scripts end by exec'ing the target. */
static int child_start(struct child *c, const char *script)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	c->t.mem_fd = -1;
	if (pipe(p))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (chdir(dir) == 0)
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->out = p[0];
	return 0;
}

/* Wait (bounded) for the child's line "key [hex]"; *val gets the number (1 if none). */
static int child_wait(struct child *c, const char *key, uint64_t *val)
{
	long long end = xs_now_ms() + 10000;
	size_t klen = strlen(key);

	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd = { c->out, POLLIN, 0 };
		long long left = end - xs_now_ms();
		ssize_t r;

		if (nl) {
			bool hit = nl - c->buf >= (long)klen && !memcmp(c->buf, key, klen);

			*nl = '\0';
			*val = hit ? strtoull(c->buf + klen, NULL, 16) : 0;
			*val += hit && !*val;
			c->len -= nl + 1 - c->buf;
			memmove(c->buf, nl + 1, c->len);
			if (hit)
				return 0;
			continue;
		}
		if (left <= 0 || c->len == sizeof(c->buf) || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		r = read(c->out, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r <= 0)
			return -EIO;
		c->len += r;
	}
}

/*
 * Wait for the stop PTRACE_INTERRUPT asked for. A signal arriving first gives
 * a signal-delivery stop: let the thread take it and wait on (the interrupt
 * stays pending, so it stops right after).
 */
static int wait_stop(pid_t tid)
{
	long long end = xs_now_ms() + 5000;

	for (;;) {
		int st;
		pid_t r = waitpid(tid, &st, __WALL | WNOHANG);

		if (r == tid) {
			if (!WIFSTOPPED(st))
				return -ECHILD;
			if ((st >> 16) == PTRACE_EVENT_STOP)
				return 0;
			if (ptrace(PTRACE_CONT, tid, 0, (long)WSTOPSIG(st)))
				return -errno;
			continue;
		}
		if (r < 0)
			return -errno;
		if (xs_now_ms() > end)
			return -ETIMEDOUT;
		usleep(100);
	}
}

/* Seize every thread (they keep running), open its memory. */
static int seize_all(struct child *c)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", c->pid);
	d = opendir(path);
	if (!d)
		return -errno;
	c->t.pid = c->pid;
	c->t.threads = calloc(MAX_THREADS, sizeof(*c->t.threads));
	while (c->t.threads && (e = readdir(d)) && c->t.nthreads < MAX_THREADS) {
		pid_t tid = atoi(e->d_name);

		if (tid <= 0)
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, 0))
			continue;
		c->t.threads[c->t.nthreads++].tid = tid;
	}
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/mem", c->pid);
	c->t.mem_fd = open(path, O_RDWR);
	return c->t.threads && c->t.mem_fd >= 0 && c->t.nthreads ? 0 : -EIO;
}

static int stop_all(struct child *c)
{
	for (size_t i = 0; i < c->t.nthreads; i++)
		if (ptrace(PTRACE_INTERRUPT, c->t.threads[i].tid, 0, 0))
			return -errno;
	for (size_t i = 0; i < c->t.nthreads; i++) {
		struct xs_thread *th = &c->t.threads[i];
		int rc = wait_stop(th->tid);

		if (rc)
			return rc;
		if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs))
			return -errno;
		th->stopped = true;
	}
	xs_target_new_era(&c->t); /* what the unwinder read before is stale */
	return 0;
}

static void cont_all(struct child *c)
{
	for (size_t i = 0; i < c->t.nthreads; i++) {
		if (c->t.threads[i].stopped)
			ptrace(PTRACE_CONT, c->t.threads[i].tid, 0, 0);
		c->t.threads[i].stopped = false;
	}
}

static void child_end(struct child *c)
{
	long long end = xs_now_ms() + 5000;
	int st;

	for (size_t i = 0; c->t.threads && i < c->t.nthreads; i++)
		if (c->t.threads[i].stopped)
			ptrace(PTRACE_DETACH, c->t.threads[i].tid, 0, 0);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &st, WNOHANG) == 0 && xs_now_ms() < end)
			usleep(1000);
	}
	if (c->t.mem_fd >= 0)
		close(c->t.mem_fd);
	if (c->out > 0)
		close(c->out);
	free(c->t.threads);
	c->t.threads = NULL;
}

/* --- checks on frames ------------------------------------------------------------- */

static bool in(const struct xs_frame *f, size_t k, const struct range *r)
{
	uint64_t pc = f[k].pc - (k > 0); /* a return address belongs to its call */

	return r->lo && pc >= r->lo && pc < r->hi;
}

/* Index of the first frame at or after from inside r, or -1. */
static long find(const struct xs_frame *f, size_t n, const struct range *r, size_t from)
{
	for (size_t k = from; k < n; k++)
		if (in(f, k, r))
			return (long)k;
	return -1;
}

/* Frame 0's SP is the thread's; each caller's SP is above and sits just past
 * the slot its return address was pushed to. */
static bool sps_ok(const struct xs_target *t, size_t i, const struct xs_frame *f, size_t n)
{
	if (!n || f[0].sp != t->threads[i].regs.rsp)
		return false;
	for (size_t k = 1; k < n; k++) {
		uint64_t ra;

		if (f[k].sp <= f[k - 1].sp ||
		    pread(t->mem_fd, &ra, sizeof(ra), (off_t)(f[k].sp - 8)) != sizeof(ra) ||
		    ra != f[k].pc)
			return false;
	}
	return true;
}

static void dump(const char *what, const struct xs_frame *f, size_t n)
{
	printf("  %s:", what);
	for (size_t k = 0; k < n; k++)
		printf(" %#" PRIx64 "/%#" PRIx64, f[k].pc, f[k].sp);
	putchar('\n');
}

static int unwind(struct xs_unwinder *u, struct child *c, size_t i, struct xs_frame *f, size_t max,
                  size_t *n)
{
	xs_error_clear();
	return xs_unwind_thread(u, &c->t, i, f, max, n);
}

/* --- (1) one thread, no frame pointers ------------------------------------------------ */

enum { INNER, MIDDLE, OUTER, MAIN, HSPIN, HANDLER, VDSO, NRANGES };
enum chain_mode { PLAIN, SIG, VDSO_MODE, MOUNT_NS, DELETED, DEEP };

static const struct {
	const char *name, *script;
} chain_modes[] = {
	[PLAIN] = { "chain", "exec ./chain" },
	[SIG] = { "chain(signal)", "exec ./chain sig" },
	[VDSO_MODE] = { "chain(vdso)", "exec ./chain vdso" },
	/* Its executable only exists in its own mount namespace. */
	[MOUNT_NS] = { "chain(mount-ns)",
	               "mkdir -p priv && exec unshare -m --propagation private sh -c "
	               "'mount -t tmpfs xs-priv priv && cp chain priv/chain && exec ./priv/chain'" },
	/* Its executable is deleted once it runs (see test_chain). */
	[DELETED] = { "chain(deleted)", "cp chain chain-del && exec ./chain-del" },
	/* Its frames reach past the stack top read in one batch (stack_tops.h). */
	[DEEP] = { "chain(deep)", "exec ./chain deep" },
};

/* The target runs what the mode says, where the mode says. */
static bool chain_setup_ok(enum chain_mode mode, pid_t pid)
{
	char path[300], maps[64], cmd[400];

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	if (mode == MOUNT_NS) {
		snprintf(path, sizeof(path), "%s/priv/chain", dir);
		snprintf(cmd, sizeof(cmd), "grep -q ' %s$' %s", path, maps);
		return access(path, F_OK) != 0 && system(cmd) == 0;
	}
	if (mode == DELETED) {
		snprintf(path, sizeof(path), "%s/chain-del", dir);
		snprintf(cmd, sizeof(cmd), "grep -q ' %s (deleted)$' %s", path, maps);
		return unlink(path) == 0 && system(cmd) == 0;
	}
	return true;
}

static struct range vdso_range(pid_t pid)
{
	struct range r = { "[vdso]", 0, 0 };
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			sscanf(line, "%" SCNx64 "-%" SCNx64, &r.lo, &r.hi);
	if (f)
		fclose(f);
	return r;
}

/* inner, middle, outer, main in a row, under what the mode puts on top. */
static bool chain_ok(struct child *c, enum chain_mode mode, const struct xs_frame *f, size_t n,
                     const struct range *r)
{
	long k = find(f, n, &r[INNER], 0);

	if (k < 0 || (size_t)k + 4 > n || !in(f, k + 1, &r[MIDDLE]) || !in(f, k + 2, &r[OUTER]) ||
	    !in(f, k + 3, &r[MAIN]))
		return false;
	if (mode == SIG) /* SPs jump at the signal frame: not checked */
		return in(f, 0, &r[HSPIN]) && in(f, 1, &r[HANDLER]) && k > 2;
	return (mode == PLAIN ? k == 0 : k <= 3) && sps_ok(&c->t, 0, f, n);
}

static void check_chain_errors(struct child *c, struct xs_unwinder *u)
{
	struct xs_frame f[MAX_FRAMES];
	xs_regs saved = c->t.threads[0].regs;
	size_t n;
	int rc;

	rc = unwind(u, c, 0, f, 2, &n);
	check(rc == -EIO && n == 2 && strstr(xs_error_message(), "more than 2 frames"),
	      "chain: max 2 frames -> -EIO, n %zu: %s", n, xs_error_message());
	/* An unreadable return address is not the end of the stack (libdwfl alone
	 * would say it is). Only our copy of the registers changes. */
	c->t.threads[0].regs.rsp = 0x1000;
	rc = unwind(u, c, 0, f, MAX_FRAMES, &n);
	c->t.threads[0].regs = saved;
	check(rc == -EIO && n == 1 && strstr(xs_error_message(), "cannot read the stack"),
	      "chain: stack pointer at unmapped 0x1000 -> -EIO, n %zu: %s", n, xs_error_message());
	c->t.threads[0].stopped = false;
	rc = unwind(u, c, 0, f, MAX_FRAMES, &n);
	c->t.threads[0].stopped = true;
	check(rc == -EINVAL && n == 0, "chain: thread not marked stopped -> -EINVAL: %s",
	      xs_error_message());
}

/*
 * Plain stacks (no signal frame, no expressions) are walked by frame rules:
 * libdwfl walks none of them unless asked to (XSPLICE_UNWIND=dwfl, check).
 * A signal frame's CFI is an expression: those stacks go to libdwfl.
 */
static void check_walk_counts(struct xs_unwinder *u, const char *what, bool signal_frames)
{
	const char *how = getenv("XSPLICE_UNWIND");
	size_t rules, dwfl;

	xs_unwinder_counts(u, &rules, &dwfl);
	if (how && !strcmp(how, "dwfl"))
		check(rules == 0 && dwfl > 0, "%s: %zu stacks walked by libdwfl only", what, dwfl);
	else if (signal_frames)
		check(dwfl > 0, "%s: %zu stacks (with a signal frame) walked by libdwfl", what,
		      dwfl);
	else if (how && !strcmp(how, "check"))
		check(rules > 0 && dwfl >= rules,
		      "%s: %zu stacks walked by rules, each checked by libdwfl (%zu)", what, rules,
		      dwfl);
	else
		check(rules > 0 && dwfl == 0, "%s: %zu stacks walked by rules, %zu by libdwfl",
		      what, rules, dwfl);
}

/*
 * The stack read in the wait for registers (stack_snap.h): walks of the era
 * it was read in take their tops from it and still give the chain; once the
 * thread has run, it is not used.
 */
static void check_snapshot(struct child *c, struct xs_unwinder *u, const struct range *r)
{
	struct xs_pages stacks = { 0 };
	struct xs_frame f[MAX_FRAMES];
	size_t n = 0, before, taken;
	int good = 0, rounds = 10, rc;

	cont_all(c);
	xs_pages_add_stacks(c->pid, &stacks);
	rc = xs_unwinder_snap_plan(u, &stacks);
	check(rc == 0 && stacks.n > 0 && stacks.n <= 4, "snapshot: %zu stack pages planned (%d)",
	      stacks.n, rc);
	xs_pages_free(&stacks);
	before = xs_unwinder_snap_tops(u);
	for (int k = 0; k < rounds; k++) {
		usleep(500 + (k % 5) * 300);
		if (stop_all(c))
			break;
		xs_unwinder_snap_take(u, &c->t);
		good += unwind(u, c, 0, f, MAX_FRAMES, &n) == 0 && chain_ok(c, PLAIN, f, n, r);
		cont_all(c);
	}
	taken = xs_unwinder_snap_tops(u) - before;
	check(good == rounds && taken == (size_t)rounds,
	      "snapshot: %d of %d walks give the chain, %zu tops taken from the snapshot", good,
	      rounds, taken);

	/* Read, then the thread runs and stops again: a new era, read afresh. */
	if (stop_all(c))
		return;
	xs_unwinder_snap_take(u, &c->t);
	cont_all(c);
	usleep(1000);
	if (stop_all(c))
		return;
	before = xs_unwinder_snap_tops(u);
	rc = unwind(u, c, 0, f, MAX_FRAMES, &n);
	check(rc == 0 && chain_ok(c, PLAIN, f, n, r) && xs_unwinder_snap_tops(u) == before,
	      "snapshot: not used once the thread ran since it was read");
}

/*
 * A thread stopped in the signal trampoline itself (on x86-64 glibc's
 * __restore_rt, which a handler returns to; its CFI, a signal frame, starts
 * one byte before it, and the vDSO has none to offer): at its first
 * instruction and at its syscall, it has CFI and the walk goes on through the
 * signal frame to the interrupted code and its callers. Only our copy of the
 * registers changes.
 */
static void check_restorer(struct child *c, struct xs_unwinder *u, const struct range *r)
{
	static const unsigned char shape[] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	struct xs_frame f[MAX_FRAMES], g[MAX_FRAMES];
	xs_regs saved = c->t.threads[0].regs;
	unsigned char code[sizeof(shape)];
	size_t n = 0, m = 0;
	int rc = unwind(u, c, 0, f, MAX_FRAMES, &n);

	if (rc || n < 4 || !in(f, 1, &r[HANDLER]) ||
	    pread(c->t.mem_fd, code, sizeof(code), (off_t)f[2].pc) != sizeof(code) ||
	    memcmp(code, shape, sizeof(code))) {
		check(false, "chain(signal): the handler returns to 'mov $15, %%rax; syscall'");
		return;
	}
	for (unsigned off = 0; off <= 7; off += 7) { /* the mov, the syscall */
		bool same = true;

		c->t.threads[0].regs.rip = f[2].pc + off;
		c->t.threads[0].regs.rsp = f[2].sp;
		xs_target_new_era(&c->t);
		rc = unwind(u, c, 0, g, MAX_FRAMES, &m);
		for (size_t k = 1; !rc && k < m && k + 2 < n; k++)
			same = same && g[k].pc == f[k + 2].pc && g[k].sp == f[k + 2].sp;
		check(
		    xs_unwinder_has_cfi(u, f[2].pc + off) && rc == 0 && m + 2 == n && same,
		    "chain(signal): stopped in the trampoline at +%u: it has CFI, and the walk goes on through the signal frame (%zu frames) %s",
		    off, m, xs_error_message());
	}
	c->t.threads[0].regs = saved;
	xs_target_new_era(&c->t);
}

static void test_chain(enum chain_mode mode)
{
	const char *name = chain_modes[mode].name;
	struct child c;
	struct xs_unwinder *u = NULL;
	struct xs_frame f[MAX_FRAMES];
	size_t n = 0;
	uint64_t bias;
	struct range r[NRANGES];
	int rc = -1, good = 0, rounds = 30, in_vdso = 0;
	long long t0, total = 0;

	if (child_start(&c, chain_modes[mode].script) || child_wait(&c, "main", &bias) ||
	    !chain_setup_ok(mode, c.pid) || seize_all(&c)) {
		check(false, "%s: target started as intended and seized", name);
		child_end(&c);
		return;
	}
	bias -= elf_range("chain", "main", 0).lo;
	r[INNER] = elf_range("chain", "inner", bias);
	r[MIDDLE] = elf_range("chain", "middle", bias);
	r[OUTER] = elf_range("chain", "outer", bias);
	r[MAIN] = elf_range("chain", "main", bias);
	r[HSPIN] = elf_range("chain", "hspin", bias);
	r[HANDLER] = elf_range("chain", "handler", bias);
	r[VDSO] = vdso_range(c.pid);
	xs_error_clear();
	t0 = xs_now_us();
	rc = xs_unwinder_new(c.pid, &u);
	if (mode == PLAIN)
		printf("  xs_unwinder_new (chain, libc only): %.2f ms\n",
		       (xs_now_us() - t0) / 1000.0);
	check(rc == 0, "%s: xs_unwinder_new (%s)", name, xs_error_message());
	if (rc)
		goto out;
	/* Until the spin has started. */
	for (int tries = 0; tries < 200; tries++) {
		if (stop_all(&c))
			break;
		rc = unwind(u, &c, 0, f, MAX_FRAMES, &n);
		if (rc == 0 && chain_ok(&c, mode, f, n, r))
			break;
		cont_all(&c);
		usleep(10000);
	}
	dump(name, f, n);
	check(
	    rc == 0 && chain_ok(&c, mode, f, n, r),
	    "%s: end of stack reached, frames (and SPs, but across a signal frame) as expected (%s)",
	    name, xs_error_message());

	/* Stop at many points of the spin: every walk must give the chain. */
	for (int k = 0; k < rounds; k++) {
		cont_all(&c);
		usleep(1000 + (k % 7) * 300);
		if (stop_all(&c))
			break;
		t0 = xs_now_us();
		rc = unwind(u, &c, 0, f, MAX_FRAMES, &n);
		total += xs_now_us() - t0;
		good += rc == 0 && chain_ok(&c, mode, f, n, r);
		in_vdso += n && f[0].pc >= r[VDSO].lo && f[0].pc < r[VDSO].hi;
	}
	check(good == rounds, "%s: %d of %d stops at random points unwind correctly", name, good,
	      rounds);
	if (mode == VDSO_MODE)
		check(in_vdso > 0, "%s: %d stops had the PC in the vDSO", name, in_vdso);
	if (mode == PLAIN || mode == SIG)
		check_walk_counts(u, name, mode == SIG);
	if (mode == SIG)
		check_restorer(&c, u, r);
	if (mode == DEEP)
		check(xs_unwinder_page_reads(u) > 0, "%s: %zu stack pages read past the tops", name,
		      xs_unwinder_page_reads(u));
	if (mode == PLAIN) {
		printf("  unwind time, 1 thread: %.1f us per thread (mean of %d stops)\n",
		       (double)total / rounds, rounds);
		check_chain_errors(&c, u);
		check_snapshot(&c, u, r);
	}
out:
	xs_unwinder_free(u);
	child_end(&c);
}

/* --- (2) many threads in nanosleep (libc CFI) ----------------------------------------- */

static void check_threads(struct child *c, struct xs_unwinder *u, int nthreads,
                          const struct range *sleeper, const struct range *mainr)
{
	struct xs_frame f[MAX_FRAMES];
	size_t n;
	int ok_threads = 0, bad_rc = 0;

	for (size_t i = 0; i < c->t.nthreads; i++) {
		bool is_main = c->t.threads[i].tid == c->pid;

		if (unwind(u, c, i, f, MAX_FRAMES, &n)) {
			bad_rc++;
			printf("  thread %d: %s\n", c->t.threads[i].tid, xs_error_message());
			continue;
		}
		if (i < 2)
			dump(is_main ? "main thread" : "worker", f, n);
		if (is_main)
			ok_threads += find(f, n, mainr, 1) > 0 && sps_ok(&c->t, i, f, n);
		else /* frame 0 is in libc; sleeper is found through libc's CFI */
			ok_threads += !in(f, 0, sleeper) && find(f, n, sleeper, 1) > 0 &&
			              sps_ok(&c->t, i, f, n);
	}
	check(bad_rc == 0, "threads(%d): every thread unwinds to the end of its stack (%d failed)",
	      nthreads, bad_rc);
	check(
	    ok_threads == nthreads + 1,
	    "threads(%d): %d/%d threads show sleeper (workers, from inside libc) or main, with sane SPs",
	    nthreads, ok_threads, nthreads + 1);
}

static void test_threads(int nthreads)
{
	struct child c;
	struct xs_unwinder *u = NULL;
	static struct xs_frame f[MAX_THREADS][MAX_FRAMES];
	size_t n[MAX_THREADS];
	char arg[32];
	uint64_t bias, ready;
	struct range sleeper, mainr;
	int rc = -1, passes = 10;
	long long t0, first = 0, rest = 0;

	snprintf(arg, sizeof(arg), "exec ./threads %d", nthreads);
	if (child_start(&c, arg) || child_wait(&c, "main", &bias) ||
	    child_wait(&c, "ready", &ready) || seize_all(&c)) {
		check(false, "threads(%d): target started and seized", nthreads);
		child_end(&c);
		return;
	}
	bias -= elf_range("threads", "main", 0).lo;
	sleeper = elf_range("threads", "sleeper", bias);
	mainr = elf_range("threads", "main", bias);
	check(c.t.nthreads == (size_t)nthreads + 1, "threads(%d): %zu threads seized", nthreads,
	      c.t.nthreads);
	xs_error_clear();
	t0 = xs_now_us();
	rc = xs_unwinder_new(c.pid, &u);
	printf("  xs_unwinder_new (process with libc + libpthread, %d threads): %.2f ms\n",
	       nthreads, (xs_now_us() - t0) / 1000.0);
	check(rc == 0, "threads(%d): xs_unwinder_new (%s)", nthreads, xs_error_message());
	if (rc)
		goto out;
	/* Until every worker sits in nanosleep (they may still be on their way). */
	for (int tries = 0; tries < 100; tries++) {
		int in_sleep = 0;

		if (stop_all(&c))
			break;
		t0 = xs_now_us();
		for (size_t i = 0; i < c.t.nthreads; i++) {
			rc = unwind(u, &c, i, f[i], MAX_FRAMES, &n[i]);
			in_sleep += rc == 0 && find(f[i], n[i], &sleeper, 1) > 0;
		}
		first = xs_now_us() - t0;
		if (in_sleep == nthreads)
			break;
		cont_all(&c);
		usleep(20000);
	}
	check_threads(&c, u, nthreads, &sleeper, &mainr);
	for (int p = 0; p < passes; p++) {
		t0 = xs_now_us();
		for (size_t i = 0; i < c.t.nthreads; i++)
			unwind(u, &c, i, f[i], MAX_FRAMES, &n[i]);
		rest += xs_now_us() - t0;
	}
	printf(
	    "  unwind time, %zu threads: first stop %.1f us per thread, then %.1f us per thread (mean of %d passes)\n",
	    c.t.nthreads, (double)first / c.t.nthreads, (double)rest / passes / c.t.nthreads,
	    passes);
	check_walk_counts(u, "threads", false);
out:
	xs_unwinder_free(u);
	child_end(&c);
}

/* Walk every thread; how many reached the end of its stack inside sleeper (workers). */
static int walk_all(struct xs_unwinder *u, struct child *c, const struct range *sleeper, int *ok)
{
	static struct xs_frame f[MAX_FRAMES];
	int in_sleep = 0;
	size_t n;

	*ok = 0;
	for (size_t i = 0; i < c->t.nthreads; i++) {
		int rc = unwind(u, c, i, f, MAX_FRAMES, &n);

		*ok += rc == 0;
		in_sleep += rc == 0 && find(f, n, sleeper, 1) > 0;
	}
	return in_sleep;
}

/*
 * Rows learnt while the process runs (xs_unwind_ahead): the PC and stack of
 * each thread blocked in a system call. A stop then walks those threads
 * with no lookup in libdw; an unwinder that did not learn ahead makes some.
 */
/* Every entry of the executable's PLT has its row before any stop. */
static void check_plt_known(struct xs_unwinder *u, uint64_t bias)
{
	struct range plt = elf_range("threads", ".plt", bias);
	size_t entries = 0, known = 0;

	for (uint64_t pc = plt.lo; pc < plt.hi; pc += 16, entries++)
		known += xs_unwinder_knows_pc(u, pc) && xs_unwinder_knows_pc(u, pc + 6);
	check(entries >= 2 && known == entries,
	      "ahead: %zu of %zu PLT entries known from the start", known, entries);
}

static void test_ahead(void)
{
	struct child c;
	struct xs_unwinder *u = NULL, *cold = NULL;
	struct xs_pages no_pages = { 0 };
	struct range sleeper;
	uint64_t bias, ready;
	size_t before, learnt, in_stop = 0, cold_lookups = 0;
	int in_sleep = 0, ok = 0, cold_ok = 0;

	setenv("XSPLICE_UNWIND", "rules", 1);
	if (child_start(&c, "exec ./threads 4") || child_wait(&c, "main", &bias) ||
	    child_wait(&c, "ready", &ready) || seize_all(&c)) {
		check(false, "ahead: target started and seized");
		child_end(&c);
		return;
	}
	bias -= elf_range("threads", "main", 0).lo;
	sleeper = elf_range("threads", "sleeper", bias);
	/* Until every worker sits in nanosleep, looked at with a throwaway unwinder. */
	for (int tries = 0; tries < 100 && in_sleep < 4; tries++) {
		struct xs_unwinder *probe = NULL;

		if (xs_unwinder_new(c.pid, &probe) || stop_all(&c)) {
			xs_unwinder_free(probe);
			break;
		}
		in_sleep = walk_all(probe, &c, &sleeper, &ok);
		xs_unwinder_free(probe);
		cont_all(&c);
		if (in_sleep < 4)
			usleep(20000);
	}
	check(in_sleep == 4, "ahead: 4 workers asleep in nanosleep (%d)", in_sleep);
	if (xs_unwinder_new(c.pid, &u) || xs_unwinder_new(c.pid, &cold)) {
		check(false, "ahead: unwinders made (%s)", xs_error_message());
		goto out;
	}
	check_plt_known(u, bias);
	before = xs_unwinder_lookups(u);
	xs_unwind_ahead(u, c.pid, &no_pages);
	learnt = xs_unwinder_lookups(u) - before;
	cold_lookups = xs_unwinder_lookups(cold);
	if (!stop_all(&c)) {
		size_t at_stop = xs_unwinder_lookups(u);

		walk_all(u, &c, &sleeper, &ok);
		in_stop = xs_unwinder_lookups(u) - at_stop;
		walk_all(cold, &c, &sleeper, &cold_ok);
		cold_lookups = xs_unwinder_lookups(cold) - cold_lookups;
	}
	check(
	    learnt > 0 && ok == 5 && in_stop == 0,
	    "ahead: %zu rows learnt while running; the stop walked %d of 5 threads with %zu lookups",
	    learnt, ok, in_stop);
	check(cold_ok == 5 && cold_lookups > 0, "ahead: without it the same walks made %zu lookups",
	      cold_lookups);
out:
	xs_unwinder_free(u);
	xs_unwinder_free(cold);
	child_end(&c);
}

/* --- (3) and (4): code in anonymous memory, with and without its .eh_frame --------------- */

struct pl_ranges {
	struct range pl_func, pl_spin, target_sleep, call_payload, main, spin_thr, text, eh;
};

static size_t thread_index(struct child *c, bool main_thread)
{
	for (size_t i = 0; i < c->t.nthreads; i++)
		if ((c->t.threads[i].tid == c->pid) == main_thread)
			return i;
	return 0;
}

static void check_payload_cfi(struct child *c, struct xs_unwinder *u, const struct pl_ranges *r)
{
	struct xs_frame f[MAX_FRAMES];
	size_t n, mi = thread_index(c, true), si = thread_index(c, false);
	long k;
	int rc;

	rc = unwind(u, c, mi, f, MAX_FRAMES, &n);
	dump("payload main thread", f, n);
	k = find(f, n, &r->target_sleep, 1);
	check(rc == 0, "payload: main thread unwinds through payload code (%s)",
	      xs_error_message());
	check(k > 0 && (size_t)k + 3 < n && in(f, k + 1, &r->pl_func) &&
	          in(f, k + 2, &r->call_payload) && find(f, n, &r->main, k + 3) > 0,
	      "payload: frames ... target_sleep, pl_func (anonymous), call_payload, ..., main");
	check(sps_ok(&c->t, mi, f, n), "payload: main thread SPs consistent");

	rc = unwind(u, c, si, f, MAX_FRAMES, &n);
	dump("payload spinning thread", f, n);
	check(
	    rc == 0 && n >= 3 && in(f, 0, &r->pl_spin) && in(f, 1, &r->call_payload) &&
	        in(f, 2, &r->spin_thr) && sps_ok(&c->t, si, f, n),
	    "payload: thread with PC in anonymous pl_spin: pl_spin, call_payload, spin_thr, ... (rc %d %s)",
	    rc, xs_error_message());
}

static void check_payload_no_cfi(struct child *c, struct xs_unwinder *u, const struct pl_ranges *r)
{
	struct xs_frame f[MAX_FRAMES];
	size_t n, mi = thread_index(c, true), si = thread_index(c, false);
	char want[96];
	long k;
	int rc;

	rc = unwind(u, c, mi, f, MAX_FRAMES, &n);
	k = find(f, n, &r->target_sleep, 1);
	snprintf(want, sizeof(want), "thread %d: cannot unwind past PC 0x%" PRIx64, c->pid,
	         n ? f[n - 1].pc : 0);
	check(rc == -EIO && k > 0 && (size_t)k + 2 == n && in(f, k + 1, &r->pl_func) &&
	          strstr(xs_error_message(), want),
	      "no CFI: main thread stops at the return address into pl_func, -EIO: %s",
	      xs_error_message());

	rc = unwind(u, c, si, f, MAX_FRAMES, &n);
	snprintf(want, sizeof(want), "thread %d: cannot unwind past PC 0x%" PRIx64,
	         c->t.threads[si].tid, n ? f[0].pc : 0);
	check(rc == -EIO && n == 1 && in(f, 0, &r->pl_spin) && strstr(xs_error_message(), want),
	      "no CFI: thread with PC in pl_spin -> -EIO: %s", xs_error_message());
}

static void check_add_code_errors(struct xs_unwinder *u, const struct pl_ranges *r)
{
	unsigned char junk[64];
	int rc;

	memset(junk, 0xa5, sizeof(junk));
	xs_error_clear();
	rc = xs_unwinder_add_code(u, r->eh.lo, r->eh.hi, r->eh.lo, junk, sizeof(junk));
	check(rc == -EINVAL, "add_code: garbage .eh_frame -> -EINVAL: %s", xs_error_message());
	xs_error_clear();
	rc = xs_unwinder_add_code(u, r->main.lo, r->main.hi, r->eh.lo, junk, sizeof(junk));
	check(rc == -EEXIST, "add_code: range inside the executable -> -EEXIST: %s",
	      xs_error_message());
}

static void test_payload(void)
{
	struct child c;
	struct xs_unwinder *with = NULL, *without = NULL;
	struct xs_frame f[MAX_FRAMES];
	struct pl_ranges r;
	unsigned char *eh = NULL;
	uint64_t bias, plbias, ready;
	size_t n;
	int rc;

	if (child_start(&c, "exec ./payload") || child_wait(&c, "main", &bias) ||
	    child_wait(&c, "plbias", &plbias) || child_wait(&c, "ready", &ready) || seize_all(&c)) {
		check(false, "payload: target started and seized");
		child_end(&c);
		return;
	}
	bias -= elf_range("payload", "main", 0).lo;
	r.pl_func = elf_range("pl.so", "pl_func", plbias);
	r.pl_spin = elf_range("pl.so", "pl_spin", plbias);
	r.text = elf_range("pl.so", "text", plbias);
	r.eh = elf_range("pl.so", ".eh_frame", plbias);
	r.target_sleep = elf_range("payload", "target_sleep", bias);
	r.call_payload = elf_range("payload", "call_payload", bias);
	r.main = elf_range("payload", "main", bias);
	r.spin_thr = elf_range("payload", "spin_thr", bias);
	check(c.t.nthreads == 2 && r.pl_func.lo && r.eh.lo,
	      "payload: target running copied code at bias %#" PRIx64, plbias);
	xs_error_clear();
	rc = xs_unwinder_new(c.pid, &with);
	rc = rc ? rc : xs_unwinder_new(c.pid, &without);
	check(rc == 0, "payload: two unwinders (%s)", xs_error_message());
	if (rc)
		goto out;
	/* The .eh_frame bytes exactly as they lie in the target (the copy's). */
	eh = malloc(r.eh.hi - r.eh.lo);
	if (!eh || pread(c.t.mem_fd, eh, r.eh.hi - r.eh.lo, (off_t)r.eh.lo) !=
	               (ssize_t)(r.eh.hi - r.eh.lo)) {
		check(false, "payload: read the copy's .eh_frame from the target");
		goto out;
	}
	xs_error_clear();
	rc = xs_unwinder_add_code(with, r.text.lo, r.text.hi, r.eh.lo, eh, r.eh.hi - r.eh.lo);
	check(rc == 0,
	      "payload: add_code [%#" PRIx64 ", %#" PRIx64 ") with %zu bytes of .eh_frame (%s)",
	      r.text.lo, r.text.hi, (size_t)(r.eh.hi - r.eh.lo), xs_error_message());
	/* Until the spinning thread has reached pl_spin. */
	for (int tries = 0; tries < 100; tries++) {
		rc = stop_all(&c);
		if (rc) {
			check(false, "payload: stop the threads (%s)", strerror(-rc));
			break;
		}
		rc = unwind(with, &c, thread_index(&c, false), f, MAX_FRAMES, &n);
		if (rc == 0 && n && in(f, 0, &r.pl_spin))
			break;
		cont_all(&c);
		usleep(10000);
	}
	check_payload_cfi(&c, with, &r);
	check_payload_no_cfi(&c, without, &r);
	check_add_code_errors(with, &r);
out:
	free(eh);
	xs_unwinder_free(with);
	xs_unwinder_free(without);
	child_end(&c);
}

int main(void)
{
	char cmd[64];

	elf_version(EV_CURRENT);
	if (build_all()) {
		check(false, "build the test programs in %s", dir);
	} else {
		/* Frame rules checked frame by frame against libdwfl; each alone. */
		static const char *const walks[] = { "check", "dwfl", "rules" };

		for (size_t w = 0; w < sizeof(walks) / sizeof(walks[0]); w++) {
			printf("# XSPLICE_UNWIND=%s\n", walks[w]);
			setenv("XSPLICE_UNWIND", walks[w], 1);
			test_chain(PLAIN);
			test_chain(SIG);
			test_chain(VDSO_MODE);
			test_chain(MOUNT_NS);
			test_chain(DELETED);
			test_chain(DEEP);
			test_threads(4);
			test_threads(128);
			test_payload();
		}
		test_ahead();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("note: could not remove %s\n", dir);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
