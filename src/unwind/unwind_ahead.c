/* SPDX-License-Identifier: MIT */
/*
 * The CFI rows a stack check will likely meet, learnt while the process
 * still runs (see xs_unwinder_learn_words): each thread blocked in a system
 * call shows its PC and stack pointer in /proc/PID/task/TID/syscall, and
 * the words of every thread's stack top hold its return addresses. Looked
 * up in the stop instead, each new row is a libdw lookup while every
 * thread waits.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/error.h"
#include "common/page.h"
#include "target/target.h"
#include "unwind/unwind.h"
#include "target/warm_pages.h"

#define PAGE XS_PAGE_MIN   /* bytes read at each stack page listed (all of it with 4 KiB pages) */
#define BATCH 32           /* pages per xs_proc_readv */
#define BLOCKED_STACK 2048 /* bytes read above a blocked thread's SP */

static uint64_t words[BATCH][PAGE / sizeof(uint64_t)];

static void learn_pages(struct xs_unwinder *u, pid_t pid, const struct xs_pages *stacks)
{
	struct iovec local[BATCH], remote[BATCH];
	bool ok[BATCH];

	for (size_t i = 0; i < stacks->n;) {
		size_t k = 0;

		for (; i < stacks->n && k < BATCH; i++, k++) {
			local[k] = (struct iovec){ words[k], PAGE };
			remote[k] = (struct iovec){ (void *)(uintptr_t)stacks->addr[i], PAGE };
		}
		if (xs_proc_readv(pid, local, remote, k, ok) < 0)
			return;
		for (size_t j = 0; j < k; j++)
			if (ok[j])
				xs_unwinder_learn_words(u, words[j], PAGE / sizeof(uint64_t));
	}
}

/* "nr args... sp pc" for a thread in a system call; "running" otherwise. */
static bool blocked_at(pid_t pid, const char *tid, uint64_t *sp, uint64_t *pc)
{
	char path[320], text[256], *last, *prev;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", pid, tid);
	if (!(f = fopen(path, "re")))
		return false;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	if (!len || text[0] == 'r') /* running: no PC to be had */
		return false;
	text[strcspn(text, "\n")] = '\0';
	if (!(last = strrchr(text, ' ')) || last == text)
		return false;
	*last = '\0';
	if (!(prev = strrchr(text, ' ')))
		return false;
	return sscanf(prev + 1, "%" SCNx64, sp) == 1 && sscanf(last + 1, "%" SCNx64, pc) == 1;
}

static void learn_blocked(struct xs_unwinder *u, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir))) {
		uint64_t sp, pc;

		if (d->d_name[0] == '.' || !blocked_at(pid, d->d_name, &sp, &pc))
			continue;
		xs_unwinder_learn_pc(u, pc);
		if (!xs_proc_read(pid, sp & ~(uint64_t)7, words[0], BLOCKED_STACK))
			xs_unwinder_learn_words(u, words[0], BLOCKED_STACK / sizeof(uint64_t));
		xs_error_clear(); /* a stack we cannot read now is read in the stop */
	}
	closedir(dir);
}

void xs_unwind_ahead(struct xs_unwinder *u, pid_t pid, const struct xs_pages *stacks)
{
	size_t before = xs_unwinder_lookups(u);

	learn_blocked(u, pid);
	learn_pages(u, pid, stacks);
	xs_debug("pid %d: %zu CFI rows looked up ahead", pid, xs_unwinder_lookups(u) - before);
}
