/* SPDX-License-Identifier: MIT */
#include "target/warm_pages.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target/maps.h"
#include "target/target.h"
#include "common/page.h"

#define PAGE ((uint64_t)xs_page_size()) /* pagemap has one entry a page */
#define TOP_PAGES 4                     /* per stack: a busy thread's frames rarely go deeper */
#define MAX_PAGES 16384      /* a bound (4096 threads' stacks); pages past it are read cold */
#define TOUCH_BATCH 512      /* pages per xs_proc_readv */
#define PRESENT (1ull << 63) /* /proc/pid/pagemap: page in memory */

static bool add_page(struct xs_pages *p, uint64_t addr)
{
	if (p->n == p->cap) {
		size_t want = p->cap ? 2 * p->cap : 256;
		uint64_t *a = want <= MAX_PAGES ? realloc(p->addr, want * sizeof(*a)) : NULL;

		if (!a)
			return false;
		p->addr = a;
		p->cap = want;
	}
	p->addr[p->n++] = addr;
	return true;
}

bool xs_pages_add_range(struct xs_pages *p, uint64_t addr, size_t len)
{
	if (!len || addr + len < addr)
		return true;
	for (uint64_t page = addr / PAGE; page <= (addr + len - 1) / PAGE; page++)
		if ((!p->n || p->addr[p->n - 1] != page * PAGE) && !add_page(p, page * PAGE))
			return false;
	return true;
}

/* The resident ones among the top pages of [start, end). */
static bool add_top(struct xs_pages *p, int pagemap, uint64_t start, uint64_t end)
{
	uint64_t first =
	    end / PAGE >= start / PAGE + TOP_PAGES ? end / PAGE - TOP_PAGES : start / PAGE;
	uint64_t entry[TOP_PAGES];
	size_t n = end / PAGE - first;
	ssize_t got =
	    pread(pagemap, entry, n * sizeof(entry[0]), (off_t)(first * sizeof(entry[0])));

	for (size_t k = 0; got > 0 && k < (size_t)got / sizeof(entry[0]); k++)
		if ((entry[k] & PRESENT) && !add_page(p, (first + k) * PAGE))
			return false;
	return true;
}

void xs_pages_add_stacks(pid_t pid, struct xs_pages *out)
{
	struct xs_maps *maps = NULL;
	uint64_t guard_end = 0;
	char path[64];
	int pagemap;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pagemap = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (pagemap < 0 || xs_maps_load(path, &maps, NULL))
		maps = NULL;
	for (size_t i = 0; maps && i < maps->n; i++) {
		const struct xs_map *m = &maps->v[i];
		bool anon = !m->inode && m->path[0] != '/';
		bool stack = !strncmp(m->path, "[stack]", 7) ||
		             (guard_end == m->start && !strcmp(m->perms, "rw-p") && anon &&
		              m->path[0] != '[');

		if (stack && !add_top(out, pagemap, m->start, m->end))
			break;
		guard_end = !strcmp(m->perms, "---p") && !m->inode ? m->end : 0;
	}
	xs_maps_free(maps);
	if (pagemap >= 0)
		close(pagemap);
}

size_t xs_pages_touch(pid_t pid, const struct xs_pages *p)
{
	static uint64_t sink;
	struct iovec local[TOUCH_BATCH], remote[TOUCH_BATCH];
	size_t done = 0;

	for (size_t i = 0; i < p->n;) {
		size_t k = 0;
		long got;

		for (; i < p->n && k < TOUCH_BATCH; i++, k++) {
			local[k] = (struct iovec){ &sink, sizeof(sink) };
			remote[k] = (struct iovec){ (void *)(uintptr_t)p->addr[i], sizeof(sink) };
		}
		got = xs_proc_readv(pid, local, remote, k, NULL);
		if (got < 0)
			return done;
		done += (size_t)got;
	}
	return done;
}

void xs_pages_touch_ours(const void *buf, size_t len)
{
	struct iovec v[TOUCH_BATCH];
	uintptr_t at = (uintptr_t)buf, end = at + len;
	size_t k = 0;

	while (at < end && end > (uintptr_t)buf) {
		v[k++] = (struct iovec){ (void *)at, 1 }; /* in the buffer, not just its page */
		at = (at / PAGE + 1) * PAGE;
		if (k == TOUCH_BATCH || at >= end) {
			xs_proc_readv(getpid(), v, v, k, NULL);
			k = 0;
		}
	}
}

void *xs_alloc_ours(size_t len)
{
	void *mem = malloc(len ? len : 1);

	if (mem) {
		memset(mem, 0, len); /* calloc may hand out pages not yet faulted in */
		xs_pages_touch_ours(mem, len);
	}
	return mem;
}

void xs_pages_free(struct xs_pages *p)
{
	free(p->addr);
	memset(p, 0, sizeof(*p));
}
