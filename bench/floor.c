/* SPDX-License-Identifier: MIT */
/*
 * The bare-tracer floor: the least any ptrace-based patcher must do to a
 * process. Seize every thread, interrupt all, wait all, read registers, write
 * 5 bytes (the same bytes that are there) through /proc/PID/mem, detach all.
 * With --stacks it also reads every thread's stack top as xsplice's unwinder
 * does (the same length, xs_stack_top_len; one process_vm_readv per 64
 * threads): the least a stack check costs.
 * Usage: floor [--rt|--no-rt] [--stacks] PID ADDR   (ADDR in hex: a function of PID)
 * Prints one line: "FLOOR rt=0|1 threads=N stop_us=... total_us=..."
 * With XSPLICE_STOPS=FILE set, appends the stop to FILE as xsplice does
 * (src/target/stop_log.h), so that measure counts the same span for both.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unwind/stack_tops.h"
#include "target/stop_log.h"

#define MAX_TIDS 4096
#define WAIT_TIMEOUT_S 2
#define STACK_BATCH XS_TOPS_BATCH

static pid_t tids[MAX_TIDS];
static size_t ntids;
static bool read_stacks;
static unsigned char (*tops)[XS_STACK_TOP]; /* written before the stop: no page faults in it */

/*
 * The kernel's first access to a page of ours costs 5-15 us on a VM with
 * shadow paging, even after we wrote it: copy one byte a page onto itself
 * now, as xsplice does (warm_pages.c), so the stop's reads pay none.
 */
static void touch_from_kernel(void *buf, size_t len)
{
	for (size_t off = 0; off < len; off += 4096) {
		struct iovec v = { (char *)buf + off, 1 };

		process_vm_readv(getpid(), &v, 1, &v, 1, 0);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_us(void)
{
	return now_ns() / 1e3;
}

static uint64_t held_from, held_until; /* the stop, for XSPLICE_STOPS */

static void log_stop(void)
{
	const char *path = getenv(XS_STOPS_ENV);
	FILE *f;

	if (!path || !held_until || !(f = fopen(path, "a")))
		return;
	fprintf(f, XS_STOPS_FMT, (unsigned long long)held_from, (unsigned long long)held_until);
	fclose(f);
}

static int list_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && ntids < MAX_TIDS)
		if (de->d_name[0] != '.')
			tids[ntids++] = atoi(de->d_name);
	closedir(d);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig; /* only there to make waitpid return EINTR */
}

/* Wait for the interrupt-stop of every thread; bounded by an alarm. */
static int wait_all(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	int st, rc = 0;

	sigaction(SIGALRM, &sa, NULL);
	alarm(WAIT_TIMEOUT_S);
	for (size_t i = 0; i < ntids; i++) {
		if (waitpid(tids[i], &st, __WALL) < 0) {
			fprintf(stderr, "floor: waiting for tid %d: %s\n", tids[i],
			        strerror(errno));
			rc = -1;
			break;
		}
	}
	alarm(0);
	return rc;
}

/* Queue thread i's stack top; SIZE_MAX (or a full batch) reads what is queued. */
static void read_stack_top(pid_t pid, size_t i, uint64_t sp)
{
	static struct iovec local[STACK_BATCH], remote[STACK_BATCH];
	static size_t queued;

	if (i != SIZE_MAX) {
		uint64_t top = sp & ~(uint64_t)63;
		size_t len = xs_stack_top_len(top);

		local[queued] = (struct iovec){ tops[i], len };
		remote[queued++] = (struct iovec){ (void *)(uintptr_t)top, len };
	}
	if (queued && (i == SIZE_MAX || queued == STACK_BATCH)) {
		if (process_vm_readv(pid, local, queued, remote, queued, 0) < 0)
			fprintf(stderr, "floor: stacks of pid %d: %s\n", pid, strerror(errno));
		queued = 0;
	}
}

/* Stop, touch, release. Returns 0 or -1; *stop_us gets first interrupt to
 * last detach. */
static int stop_touch_release(pid_t pid, uint64_t addr, double *stop_us)
{
	struct user_regs_struct regs;
	unsigned char insn[5];
	size_t seized = 0;
	char path[64];
	int fd, rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (; seized < ntids; seized++)
		if (ptrace(PTRACE_SEIZE, tids[seized], 0, 0) < 0) {
			fprintf(stderr, "floor: seize tid %d: %s\n", tids[seized], strerror(errno));
			goto out;
		}
	held_from = now_ns();
	for (size_t i = 0; i < ntids; i++)
		ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
	if (wait_all())
		goto out;
	for (size_t i = 0; i < ntids; i++) {
		if (ptrace(PTRACE_GETREGS, tids[i], 0, &regs) < 0)
			fprintf(stderr, "floor: registers of tid %d: %s\n", tids[i],
			        strerror(errno));
		if (read_stacks)
			read_stack_top(pid, i, regs.rsp);
	}
	read_stack_top(pid, SIZE_MAX, 0);
	if (pread(fd, insn, sizeof(insn), (off_t)addr) != (ssize_t)sizeof(insn) ||
	    pwrite(fd, insn, sizeof(insn), (off_t)addr) != (ssize_t)sizeof(insn)) {
		fprintf(stderr, "floor: 5 bytes at 0x%lx in pid %d: %s\n", (unsigned long)addr, pid,
		        strerror(errno));
		goto out;
	}
	rc = 0;
out:
	/* A thread not yet in its stop when detached gets ESRCH; it was never
	 * stopped, so it needs nothing. */
	for (size_t i = 0; i < seized; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	if (held_from)
		held_until = now_ns();
	if (!rc)
		*stop_us = (held_until - held_from) / 1e3;
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct sched_param rt = { .sched_priority = 50 }, normal = { 0 };
	bool want_rt = true, rt_used = false;
	double t0, stop_us = 0;
	uint64_t addr;
	pid_t pid;
	int a = 1;

	if (a < argc && !strcmp(argv[a], "--rt"))
		a++;
	else if (a < argc && !strcmp(argv[a], "--no-rt"))
		want_rt = false, a++;
	if (a < argc && !strcmp(argv[a], "--stacks"))
		read_stacks = true, a++;
	if (argc - a != 2) {
		fprintf(stderr, "usage: floor [--rt|--no-rt] [--stacks] PID ADDR\n");
		return 2;
	}
	pid = atoi(argv[a]);
	addr = strtoull(argv[a + 1], NULL, 16);
	t0 = now_us();
	/* Real-time priority so the 2-core box's spinning threads cannot delay
	 * the tracer while the target is stopped; silently without if refused. */
	if (want_rt && sched_setscheduler(0, SCHED_FIFO, &rt) == 0)
		rt_used = true;
	if (list_threads(pid))
		return 1;
	if (read_stacks &&
	    (!(tops = malloc(ntids * sizeof(*tops))) || !memset(tops, 1, ntids * sizeof(*tops))))
		return 1;
	if (read_stacks)
		touch_from_kernel(tops, ntids * sizeof(*tops));
	if (stop_touch_release(pid, addr, &stop_us))
		return 1;
	free(tops);
	if (rt_used)
		sched_setscheduler(0, SCHED_OTHER, &normal);
	log_stop();
	printf("FLOOR rt=%d threads=%zu stop_us=%.1f total_us=%.1f\n", rt_used, ntids, stop_us,
	       now_us() - t0);
	return 0;
}
