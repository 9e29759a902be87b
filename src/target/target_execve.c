/* SPDX-License-Identifier: MIT */
/*
 * A process that runs execve while a command works on it: what was read of
 * it (symbols, addresses, registers, the registry) is of a program that is
 * gone. Seen while we hold it (PTRACE_O_TRACEEXEC, a thread's tid going to
 * the leader, a mem file that reads nothing), or since the command began (a
 * mem file opened then), and named: the command fails, nothing goes in.
 */
#include "target/target_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"

int xs_tgt_execed(struct xs_tgt *g)
{
	g->execed = true;
	return xs_fail_override(
	    -ECANCELED, "pid %d: ran execve while stopped: its code is new, nothing was changed",
	    g->pub.pid);
}

/*
 * A thread that runs execve takes the leader's tid (the others are killed):
 * its PTRACE_EVENT_EXEC stop is reported under the pid, and its own tid
 * answers ECHILD. Peeked, not reaped: collecting it books it.
 */
static bool exec_reported(struct xs_tgt *g)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, g->pub.pid, &si, WSTOPPED | WNOHANG | WNOWAIT | __WALL) == 0 &&
	       si.si_pid == g->pub.pid && si.si_code == CLD_TRAPPED &&
	       si.si_status == (SIGTRAP | PTRACE_EVENT_EXEC << 8);
}

/*
 * The mem file holds the memory it was opened on: after execve it reads
 * nothing (0 bytes, whatever the address) while a fresh one reads the new
 * memory (bytes, or EIO where nothing is mapped). After an exit both read
 * nothing or the fresh one does not open.
 */
static bool memory_replaced(struct xs_tgt *g)
{
	uint64_t addr = g->pub.nthreads ? xs_arch_pc(&g->pub.threads[0].regs) : 0;
	char path[64], c;
	ssize_t n;
	int fd;

	if (g->pub.mem_fd < 0 || pread(g->pub.mem_fd, &c, 1, (off_t)addr) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/mem", g->pub.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, &c, 1, (off_t)addr);
	close(fd);
	return n != 0;
}

int xs_tgt_check_exec(struct xs_tgt *g)
{
	if (g->execed || exec_reported(g) || memory_replaced(g))
		return xs_tgt_execed(g);
	return 0;
}

/* Whether a thread other than the leader is still listed: the leader a
 * zombie then is one execve is about to replace, or a pthread_exit. */
static bool others_listed(struct xs_tgt *g)
{
	char buf[1024] __attribute__((aligned(8)));
	ssize_t n;

	if (g->task_fd < 0 || lseek(g->task_fd, 0, SEEK_SET) < 0)
		return false;
	while ((n = getdents64(g->task_fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			pid_t tid = (pid_t)atoi(d->d_name);

			off += d->d_reclen;
			if (tid > 0 && tid != g->pub.pid)
				return true;
		}
	return false;
}

/*
 * A traced thread other than the leader answers ECHILD, not an exit status,
 * only when execve gave its tid to the leader, which happens before the new
 * program is loaded: wait for the exec stop (bounded), unless the process
 * goes meanwhile.
 */
bool xs_tgt_exec_follows(struct xs_tgt *g, long long deadline_us)
{
	long long until = xs_tgt_deadline(XS_TGT_STEP_MS);

	if (until > deadline_us)
		until = deadline_us;
	for (;;) {
		char s;

		if (exec_reported(g))
			return true;
		s = xs_tgt_thread_state(g->pub.pid, 0);
		if (!s || s == 'X' || (s == 'Z' && !others_listed(g)) || xs_now_us() >= until)
			return false;
		usleep(200);
	}
}

/*
 * The memory of the program pid runs when a command begins (xs_target_check):
 * its mem file, which reads nothing once execve replaced that memory. Our
 * ptrace options report an execve only while we hold the process; this one
 * tells of one since the command began, when what it read (symbols,
 * addresses, the registry) was of a program that is gone.
 */
static struct {
	pid_t pid;
	int fd;
} exec_mark = { 0, -1 };

static bool exec_mark_dead(pid_t pid)
{
	char c;

	/* 0 bytes only from memory that is gone: else a byte, or EIO at address 0 */
	return exec_mark.pid == pid && exec_mark.fd >= 0 && pread(exec_mark.fd, &c, 1, 0) == 0;
}

/* Whether pid has memory now: a fresh mem file reads a byte or EIO (address
 * 0), not 0 bytes as for a zombie or a leader that execve is replacing. */
static bool has_memory(pid_t pid)
{
	char path[32], c;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, &c, 1, 0);
	close(fd);
	return n != 0;
}

/* The memory marked is gone but the process has some: an execve, not an exit. */
static bool execed_since_mark(pid_t pid)
{
	return exec_mark_dead(pid) && has_memory(pid);
}

static int exec_mark_gone(pid_t pid)
{
	if (!execed_since_mark(pid))
		return 0;
	return xs_fail_override(
	    -ECANCELED,
	    "pid %d: ran execve during this command: its code is new, nothing was changed", pid);
}

/* Opened by a command's first step; its later steps check it (load: upload, check, apply). */
int xs_tgt_exec_mark_open(pid_t pid)
{
	char path[32];

	if (exec_mark.pid == pid)
		return exec_mark_gone(pid);
	if (exec_mark.fd >= 0)
		close(exec_mark.fd);
	/* Not in the middle of an execve, whose new memory has no program yet
	 * (what we read then would be of neither): 100 ms for it to finish. */
	for (int i = 0; i < 100; i++) {
		uint64_t start = 0;

		if (xs_tgt_start_code(pid, &start) || start)
			break;
		usleep(1000);
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	exec_mark.fd = open(path, O_RDONLY | O_CLOEXEC);
	exec_mark.pid = pid;
	return 0;
}

int xs_target_explain(pid_t pid, int rc)
{
	if (!rc || rc == -ECANCELED) /* an execve named already, where it was seen */
		return rc;
	/* An execve under way shows as a zombie leader (no maps, no map_files)
	 * with another thread left, the one running it, until that one takes
	 * its place and then replaces the memory: give it 100 ms. A leader that
	 * called pthread_exit looks the same: the same wait, then rc. */
	for (int i = 0; i < 100 && exec_mark.pid == pid && !execed_since_mark(pid); i++) {
		char val[16];

		if (xs_tgt_thread_state(pid, 0) != 'Z' ||
		    xs_tgt_status_field(pid, 0, "Threads", val, sizeof(val)) || atoi(val) < 2)
			break;
		usleep(1000);
		if (xs_tgt_thread_state(pid, 0) != 'Z')
			usleep(2000); /* it took the leader's place: the memory follows */
	}
	return exec_mark_gone(pid) ?: rc;
}

/* Not g->execed: the threads we hold are the new program's, released as usual. */
int xs_tgt_exec_mark_check(struct xs_tgt *g)
{
	return exec_mark_gone(g->pub.pid);
}
