/* SPDX-License-Identifier: MIT */
/*
 * Target memory through /proc/<pid>/mem (as tracer this also writes read-only
 * text: the kernel breaks COW with FOLL_FORCE, no mprotect needed), small
 * /proc readers, and the search for the code injected system calls borrow.
 */
#include "target/target_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/error.h"
#include "target/maps.h"

#define SCAN_CHUNK 16384
#define SCAN_OVERLAP 16 /* longer than any sequence looked for: none is missed at a seam */
#define READ_AT_ONCE_MIN 4096

/* Small /proc file (stat, status) into buf without allocating; -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	return n ? 0 : -ESRCH;
}

static void task_path(char *path, size_t size, pid_t pid, pid_t tid, const char *file)
{
	if (tid)
		snprintf(path, size, "/proc/%d/task/%d/%s", pid, tid, file);
	else
		snprintf(path, size, "/proc/%d/%s", pid, file);
}

static int find_field(const char *text, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (!strncmp(line, key, klen) && line[klen] == ':') {
			const char *v = line + klen + 1;
			size_t n;

			v += strspn(v, " \t");
			n = strcspn(v, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -ENOENT;
}

/* One "Key:\tvalue" line of /proc/<pid>[/task/<tid>]/status (tid 0: the process). */
int xs_tgt_status_field(pid_t pid, pid_t tid, const char *key, char *val, size_t len)
{
	char path[64], buf[8192];
	int rc;

	task_path(path, sizeof(path), pid, tid, "status");
	rc = read_small(path, buf, sizeof(buf));
	return rc ? rc : find_field(buf, key, val, len);
}

/* Blocked (per thread), ignored and caught (per process) signals, one read. */
int xs_tgt_sigmasks(pid_t pid, pid_t tid, uint64_t *blk, uint64_t *ign, uint64_t *cgt)
{
	char path[64], buf[8192], val[32];
	static const char *const keys[] = { "SigBlk", "SigIgn", "SigCgt" };
	uint64_t *out[] = { blk, ign, cgt };
	int rc;

	task_path(path, sizeof(path), pid, tid, "status");
	rc = read_small(path, buf, sizeof(buf));
	for (size_t k = 0; !rc && k < XS_ARRAY_SIZE(keys); k++) {
		rc = find_field(buf, keys[k], val, sizeof(val));
		*out[k] = rc ? 0 : strtoull(val, NULL, 16);
	}
	return rc;
}

/* State letter and PF_* flags from /proc/<pid>[/task/<tid>]/stat. */
int xs_tgt_proc_stat(pid_t pid, pid_t tid, char *state, unsigned *flags)
{
	char path[64], buf[1024], *p;
	unsigned f = 0;
	char s = 0;
	int rc;

	task_path(path, sizeof(path), pid, tid, "stat");
	rc = read_small(path, buf, sizeof(buf));
	if (rc)
		return rc;
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &s, &f) != 2)
		return -EINVAL;
	if (state)
		*state = s;
	if (flags)
		*flags = f;
	return 0;
}

/* Field `field` (numbered as in proc(5), 3 or more) of /proc/<pid>/stat. */
static int stat_field(pid_t pid, int field, unsigned long long *v)
{
	char path[64], buf[1024], *p, *end;
	int rc;

	task_path(path, sizeof(path), pid, 0, "stat");
	rc = read_small(path, buf, sizeof(buf));
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	for (int f = 2; p && f < field; f++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EPROTO;
	errno = 0;
	*v = strtoull(p + 1, &end, 10);
	return errno || end == p + 1 ? -EPROTO : 0;
}

int xs_proc_start_time(pid_t pid, uint64_t *start)
{
	unsigned long long v;
	int rc = stat_field(pid, 22, &v);

	if (!rc)
		*start = v;
	return rc;
}

int xs_tgt_start_code(pid_t pid, uint64_t *start)
{
	unsigned long long v;
	int rc = stat_field(pid, 26, &v);

	if (!rc)
		*start = v;
	return rc == -ESRCH ? -ENOENT : rc; /* as read_small said before */
}

/* State letter of one thread; 0 when it is gone. */
char xs_tgt_thread_state(pid_t pid, pid_t tid)
{
	char s = 0;

	return xs_tgt_proc_stat(pid, tid, &s, NULL) ? 0 : s;
}

static int mem_rw(int fd, pid_t pid, uint64_t addr, void *buf, size_t len, bool write)
{
	unsigned long long a = addr, end = addr + len;
	size_t done = 0;

	if (len && end < a)
		return xs_fail(-EFAULT, "pid %d: address range 0x%llx+%zu wraps around", pid, a,
		               len);
	while (done < len) {
		/* The offset is the address: /proc/<pid>/mem takes "negative" ones too. */
		off_t off = (off_t)(addr + done);
		ssize_t n = write ? pwrite(fd, (const char *)buf + done, len - done, off) :
		                    pread(fd, (char *)buf + done, len - done, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return xs_fail(-ESRCH, "pid %d: process has exited (%s 0x%llx-0x%llx)", pid,
			               write ? "writing" : "reading", a, end);
		if (n < 0)
			return xs_fail(
			    -EFAULT, "pid %d: cannot %s memory at 0x%llx-0x%llx (fails at 0x%llx)",
			    pid, write ? "write" : "read", a, end, a + done);
		done += n;
	}
	return 0;
}

/*
 * process_vm_readv looks a range's pages up in one go where the mem file
 * takes them one at a time: about twice as fast for 16 KiB of code, which
 * counts when the stop reads the code it is about to patch. It
 * cannot read pages without PROT_READ (execute-only code), nor through a
 * leader that has exited; the mem file, which reads with FOLL_FORCE, is
 * the way for those and gives the error if both fail.
 */
static bool read_at_once(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };

	/* Under a page both cost the same: the mem file then. */
	return len >= READ_AT_ONCE_MIN && xs_proc_readv(pid, &local, &remote, 1, NULL) == 1;
}

int xs_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	int fd, rc;

	if (read_at_once(pid, addr, buf, len))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return xs_fail(-ESRCH, "pid %d: no such process", pid);
		return xs_fail(errno == EACCES ? -EPERM : -errno,
		               "pid %d: cannot open /proc/%d/mem (not allowed to read its memory)",
		               pid, pid);
	}
	rc = mem_rw(fd, pid, addr, buf, len, false);
	close(fd);
	return rc;
}

long xs_proc_readv(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n,
                   bool *ok)
{
	long whole = 0;

	for (size_t i = 0; i < n;) {
		size_t end = i + (n - i < IOV_MAX ? n - i : IOV_MAX);
		ssize_t got = process_vm_readv(pid, local + i, end - i, remote + i, end - i, 0);

		if (got < 0 && errno != EFAULT)
			return -errno;
		for (; i < end && got >= 0 && (size_t)got >= remote[i].iov_len; i++, whole++) {
			got -= (ssize_t)remote[i].iov_len;
			if (ok)
				ok[i] = true;
		}
		if (i < end) { /* where it stopped (maybe read in part): skipped */
			if (ok)
				ok[i] = false;
			i++;
		}
	}
	return whole;
}

/* The mem file reads nothing once the process is gone, or its memory is
 * after an execve: say which. */
static int mem_gone(struct xs_target *t, int rc)
{
	return rc == -ESRCH ? xs_tgt_check_exec(xs_tgt(t)) ?: rc : rc;
}

int xs_target_read(struct xs_target *t, uint64_t addr, void *buf, size_t len)
{
	if (!t || t->mem_fd < 0)
		return xs_fail(-EINVAL, "pid %d: target memory is not open", t ? t->pid : 0);
	if (xs_tgt(t)->execed)
		return xs_tgt_execed(xs_tgt(t));
	if (read_at_once(t->pid, addr, buf, len))
		return 0;
	return mem_gone(t, mem_rw(t->mem_fd, t->pid, addr, buf, len, false));
}

int xs_target_peek(const struct xs_target *t, uint64_t addr, void *buf, size_t len)
{
	if (addr > (uint64_t)INT64_MAX || len > (size_t)SSIZE_MAX)
		return -EIO;
	return pread(t->mem_fd, buf, len, (off_t)addr) == (ssize_t)len ? 0 : -EIO;
}

int xs_target_write(struct xs_target *t, uint64_t addr, const void *buf, size_t len)
{
	if (!t || t->mem_fd < 0)
		return xs_fail(-EINVAL, "pid %d: target memory is not open", t ? t->pid : 0);
	if (xs_tgt(t)->execed)
		return xs_tgt_execed(xs_tgt(t));
	xs_target_new_era(t);
	return mem_gone(t, mem_rw(t->mem_fd, t->pid, addr, (void *)buf, len, true));
}

/* First occurrence of seq in [lo, hi), or 0. */
static uint64_t scan_range(int fd, uint64_t lo, uint64_t hi, const struct xs_arch_seq *seq)
{
	unsigned char buf[SCAN_CHUNK + SCAN_OVERLAP];

	for (uint64_t a = lo; a < hi; a += SCAN_CHUNK) {
		size_t want = hi - a < sizeof(buf) ? hi - a : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)a);
		unsigned char *p;

		if (n <= 0)
			return 0; /* unreadable (guard pages): try another mapping */
		p = memmem(buf, n, seq->bytes, seq->len);
		if (p)
			return a + (uint64_t)(p - buf);
	}
	return 0;
}

/*
 * Whether a mapping is code we may borrow in this pass (see
 * xs_tgt_find_syscall): 0 the vdso, 1 shared objects, 2 other files.
 */
static bool borrowable(const struct xs_map *m, int pass)
{
	if (m->perms[0] != 'r' || !xs_map_exec(m))
		return false;
	if (pass == 0)
		return !strcmp(m->path, "[vdso]");
	return m->path[0] == '/' && (strstr(m->path, ".so") != NULL) == (pass == 1);
}

/* First occurrence of seq in the code of maps, or 0. */
static uint64_t find_seq(int fd, const struct xs_maps *maps, const struct xs_arch_seq *seq)
{
	uint64_t at = 0;

	for (int pass = 0; pass < 3 && !at; pass++)
		for (size_t i = 0; i < maps->n && !at; i++)
			if (borrowable(&maps->v[i], pass))
				at = scan_range(fd, maps->v[i].start, maps->v[i].end, seq);
	return at;
}

/*
 * The code injected system calls run through: "syscall; ret" and a signal
 * return, anywhere in the target's code, even inside other instructions,
 * since we jump right to them. The vdso first (a page or two, always there,
 * though it may have neither), then shared objects' code (libc and ld.so
 * have both), then other files' (a big executable is read only when no
 * library has them): code that stays mapped while we hold the process;
 * never anonymous code (a payload we may unmap, JIT code).
 * No xs_fail here: attach calls this early and a miss is only reported when
 * a system call is actually needed.
 */
int xs_tgt_find_syscall(struct xs_tgt *g)
{
	struct xs_maps *maps;
	char path[64];
	int rc;

	if (g->pub.syscall_insn && g->pub.sigreturn_insn)
		return 0;
	if (g->pub.mem_fd < 0)
		return -EBADF;
	/* Through a live thread: a leader that called pthread_exit shows no maps. */
	if (g->pub.nthreads)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/maps", g->pub.pid,
		         g->pub.threads[0].tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/maps", g->pub.pid);
	rc = xs_maps_load(path, &maps, NULL);
	if (rc)
		return rc;
	if (!g->pub.syscall_insn)
		g->pub.syscall_insn = find_seq(g->pub.mem_fd, maps, &xs_arch_syscall_ret);
	for (size_t k = 0; k < xs_arch_nsigreturn_seqs && !g->pub.sigreturn_insn; k++)
		g->pub.sigreturn_insn = find_seq(g->pub.mem_fd, maps, &xs_arch_sigreturn_seqs[k]);
	xs_maps_free(maps);
	return g->pub.syscall_insn && g->pub.sigreturn_insn ? 0 : -ENOENT;
}
