/* SPDX-License-Identifier: MIT */
/*
 * Unit test for src/unwind/stack_tops.c, reading "stacks" of our own process (any
 * process's memory is read the same way): every top queued is read once and
 * right, by the helper or by the caller; what was not queued so (another
 * tid, era or address, an index past cap, after close) is refused; a top
 * that cannot be read fails alone; the helper has every signal blocked.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "unwind/stack_tops.h"

#define NSTACKS 200
#define ERA 7

/* Fake stacks: each 64-aligned, filled with its own pattern. */
static unsigned char stacks[NSTACKS][XS_STACK_TOP] __attribute__((aligned(64)));

static uint64_t addr_of(size_t i)
{
	return (uint64_t)(uintptr_t)stacks[i];
}

static void fill(void)
{
	for (size_t i = 0; i < NSTACKS; i++)
		for (size_t k = 0; k < XS_STACK_TOP; k++)
			stacks[i][k] = (unsigned char)(i * 31 + k * 7);
}

static bool same(const struct xs_stack_top *top, size_t i)
{
	size_t len = xs_stack_top_len(addr_of(i));

	return top && top->addr == addr_of(i) && top->len == len &&
	       !memcmp(top->data, stacks[i], len);
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* Another thread of ours: the helper. 0 when none. */
static pid_t helper_tid(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t found = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != getpid())
			found = atoi(e->d_name);
	if (d)
		closedir(d);
	return found;
}

/* Its SigBlk has SIGCHLD (the ptrace stops' signal) in it. */
static bool blocks_sigchld(pid_t tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	if (f)
		fclose(f);
	return mask >> (SIGCHLD - 1) & 1;
}

static void without_helper(void)
{
	struct xs_tops *p = xs_tops_new(getpid(), 8, false);
	size_t by_helper, by_caller;
	bool all = true;

	check(p != NULL, "tops for 8 threads, no helper");
	check(!xs_tops_get(p, 0, 100, addr_of(0), ERA), "nothing queued: no top");
	for (size_t i = 0; i < 5; i++)
		xs_tops_queue(p, i, 100 + (pid_t)i, addr_of(i), ERA);
	xs_tops_queue(p, 5, 105, 64, ERA);              /* unmapped */
	xs_tops_queue(p, 6, 106, UINT64_MAX - 64, ERA); /* would wrap */
	xs_tops_queue(p, 8, 108, addr_of(8), ERA);
	xs_tops_queue(p, 0, 100, addr_of(9), ERA); /* again: ignored */
	for (size_t i = 0; i < 5; i++)
		all &= same(xs_tops_get(p, i, 100 + (pid_t)i, addr_of(i), ERA), i);
	check(all, "5 tops queued: each read, byte for byte");
	xs_tops_counts(p, &by_helper, &by_caller);
	check(by_helper == 0 && by_caller == 6,
	      "all read by the caller (%zu), none by a helper (%zu)", by_caller, by_helper);
	check(!xs_tops_get(p, 5, 105, 64, ERA), "an unreadable top: none");
	check(same(xs_tops_get(p, 4, 104, addr_of(4), ERA), 4),
	      "...and the others of its read still there");
	check(!xs_tops_get(p, 0, 100, addr_of(9), ERA), "queued twice: the second was ignored");
	check(!xs_tops_get(p, 8, 108, addr_of(8), ERA), "an index past cap: not queued");
	check(!xs_tops_get(p, 1, 999, addr_of(1), ERA), "another tid: none");
	check(!xs_tops_get(p, 1, 101, addr_of(1), ERA + 1), "another era: none");
	check(!xs_tops_get(p, 1, 101, addr_of(2), ERA), "another address: none");
	check(!xs_tops_get(p, 6, 106, UINT64_MAX - 64, ERA), "a top that would wrap: not queued");
	check(!xs_tops_get(p, 7, 107, addr_of(7), ERA), "a thread not queued: none");
	xs_tops_close(p);
	xs_tops_queue(p, 7, 107, addr_of(7), ERA);
	check(!xs_tops_get(p, 7, 107, addr_of(7), ERA), "queued after close: ignored");
	xs_tops_free(p);
}

static void with_helper(void)
{
	struct xs_tops *p = xs_tops_new(getpid(), NSTACKS, true);
	size_t by_helper = 0, by_caller = 0, half = NSTACKS / 2;
	pid_t tid = helper_tid();
	bool all = true;

	check(p != NULL && tid > 0, "tops for %d threads, with a helper thread (%d)", NSTACKS, tid);
	check(tid > 0 && blocks_sigchld(tid),
	      "the helper blocks SIGCHLD: the stops' reports are ours");
	/* Half queued and left to the helper (bounded wait), the rest read as they come. */
	for (size_t i = 0; i < half; i++)
		xs_tops_queue(p, i, (pid_t)(1000 + i), addr_of(i), ERA);
	for (int waited = 0; waited < 5000 && by_helper < half; waited++) {
		sleep_us(1000);
		xs_tops_counts(p, &by_helper, &by_caller);
	}
	check(by_helper == half && by_caller == 0, "the helper read the first %zu tops alone (%zu)",
	      half, by_helper);
	for (size_t i = half; i < NSTACKS; i++)
		xs_tops_queue(p, i, (pid_t)(1000 + i), addr_of(i), ERA);
	for (size_t i = 0; i < NSTACKS; i++)
		all &= same(xs_tops_get(p, i, (pid_t)(1000 + i), addr_of(i), ERA), i);
	xs_tops_counts(p, &by_helper, &by_caller);
	check(all && by_helper + by_caller == NSTACKS,
	      "all %d tops right, each read once (helper %zu, caller %zu)", NSTACKS, by_helper,
	      by_caller);
	xs_tops_close(p);
	xs_tops_free(p);
	/* Joined; the kernel may list the task a moment longer (bounded). */
	for (int i = 0; i < 1000 && helper_tid(); i++)
		sleep_us(1000);
	check(helper_tid() == 0, "freed: the helper thread is gone");
}

/* A top ends at its page's end when enough of the page is left: no page touched in vain. */
static void top_lengths(void)
{
	uint64_t page = 0x7f0000001000;
	size_t at_start = xs_stack_top_len(page), busy = xs_stack_top_len(page + 3648),
	       at_half = xs_stack_top_len(page + 2048), few_left = xs_stack_top_len(page + 4032),
	       just_enough = xs_stack_top_len(page + 4096 - XS_STACK_TOP_MIN);
	size_t pages = 0;

	check(at_start == XS_STACK_TOP && at_half == XS_STACK_TOP,
	      "a top with its page's half or more left: all %d bytes (%zu, %zu)", XS_STACK_TOP,
	      at_start, at_half);
	check(busy == 448 && just_enough == XS_STACK_TOP_MIN,
	      "a top with less than %d bytes but at least %d left: to the page's end (%zu, %zu)",
	      XS_STACK_TOP, XS_STACK_TOP_MIN, busy, just_enough);
	check(few_left == XS_STACK_TOP, "a top with 64 bytes left: on into the next page (%zu)",
	      few_left);
	/* Over the 64 tops a page can hold: only the last few reach the next page
	 * (2 KiB tops each would touch 95 pages). */
	for (uint64_t a = page; a < page + 4096; a += 64)
		pages += (a + xs_stack_top_len(a) - 1) / 4096 - a / 4096 + 1;
	check(pages == 64 + XS_STACK_TOP_MIN / 64 - 1,
	      "pages touched by the 64 tops of a page: %zu", pages);
}

int main(void)
{
	fill();
	top_lengths();
	without_helper();
	with_helper();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
