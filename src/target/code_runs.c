/* SPDX-License-Identifier: MIT */
/* Batched reads and writes of target memory (see code_runs.h). */
#include "target/code_runs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/page.h"
#include "target/warm_pages.h"

/*
 * Spans at most RUN_GAP apart share a run. Writing a run back rewrites the
 * bytes between its spans with what they already hold (every thread is
 * stopped), so the gap stays small: no page without a span of its own is
 * touched (a hole between mappings is a page at least). RUN_MAX bounds the
 * buffer.
 */
#define RUN_GAP 256u
#define RUN_MAX (64u << 10)

struct run {
	uint64_t start;
	size_t len;
	unsigned char *buf;
	unsigned char *seen; /* xs_runs_remember: what the run held then */
	unsigned char *now;  /* xs_runs_reread reads into this */
};

struct xs_runs {
	struct run *v;
	size_t n;
};

static int by_addr(const void *a, const void *b)
{
	const struct xs_span *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void xs_runs_free(struct xs_runs *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].buf);
		free(r->v[i].seen);
		free(r->v[i].now);
	}
	free(r->v);
	free(r);
}

/* Group sorted spans into runs (addresses and lengths only). */
static int plan_runs(const struct xs_span *s, size_t n, struct xs_runs *r)
{
	r->v = calloc(n ? n : 1, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct run *cur = r->n ? &r->v[r->n - 1] : NULL;
		uint64_t end = s[i].addr + s[i].len;

		if (cur && s[i].addr <= cur->start + cur->len + RUN_GAP &&
		    end - cur->start <= RUN_MAX) {
			if (end > cur->start + cur->len)
				cur->len = end - cur->start;
			continue;
		}
		r->v[r->n++] = (struct run){ .start = s[i].addr, .len = s[i].len };
	}
	return 0;
}

int xs_runs_new(const struct xs_span *spans, size_t n, struct xs_runs **out)
{
	struct xs_span *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	struct xs_runs *r = calloc(1, sizeof(*r));
	int rc = 0;

	*out = NULL;
	if (sorted && r) {
		memcpy(sorted, spans, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_addr);
	}
	if (!sorted || !r || plan_runs(sorted, n, r))
		rc = xs_fail(-ENOMEM, "no memory for %zu code pieces", n);
	for (size_t i = 0; !rc && i < r->n; i++) {
		struct run *run = &r->v[i];

		if (!(run->buf = xs_alloc_ours(run->len)))
			rc = xs_fail(-ENOMEM, "no memory for %zu code bytes", run->len);
	}
	free(sorted);
	if (rc) {
		xs_runs_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int xs_runs_fill(struct xs_runs *r, pid_t pid, struct xs_target *t)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct run *run = &r->v[i];
		int rc = t ? xs_target_read(t, run->start, run->buf, run->len) :
		             xs_proc_read(pid, run->start, run->buf, run->len);

		if (rc)
			return rc;
	}
	return 0;
}

int xs_runs_remember(struct xs_runs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct run *run = &r->v[i];

		if (!run->seen && !(run->seen = xs_alloc_ours(run->len)))
			return xs_fail(-ENOMEM, "no memory for %zu code bytes", run->len);
		if (!run->now && !(run->now = xs_alloc_ours(run->len)))
			return xs_fail(-ENOMEM, "no memory for %zu code bytes", run->len);
		memcpy(run->seen, run->buf, run->len);
	}
	return 0;
}

int xs_runs_reread(struct xs_runs *r, struct xs_target *t)
{
	bool same = true;

	for (size_t i = 0; i < r->n; i++) {
		const struct run *run = &r->v[i];
		int rc = xs_target_read(t, run->start, run->now, run->len);

		if (rc)
			return rc;
		same = same && memcmp(run->now, run->seen, run->len) == 0;
	}
	return same;
}

void xs_runs_take_reread(struct xs_runs *r)
{
	for (size_t i = 0; i < r->n; i++)
		memcpy(r->v[i].buf, r->v[i].now, r->v[i].len);
}

int xs_runs_own_pages(struct xs_target *t, const struct xs_runs *r)
{
	const uint64_t page = xs_page_size();
	uint64_t done = UINT64_MAX; /* the last page made ours */

	for (size_t i = 0; i < r->n; i++) {
		const struct run *run = &r->v[i];

		for (uint64_t a = run->start; a < run->start + run->len;
		     a = (a & ~(page - 1)) + page) {
			unsigned char byte;
			int rc;

			if ((a & ~(page - 1)) == done)
				continue;
			done = a & ~(page - 1);
			rc = xs_target_read(t, a, &byte, 1);
			if (!rc)
				rc = xs_target_write(t, a, &byte, 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

unsigned char *xs_runs_at(struct xs_runs *r, uint64_t addr, size_t len)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) { /* the last run starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct run *run = &r->v[lo - 1];

	if (addr + len > run->start + run->len)
		return NULL;
	return run->buf + (addr - run->start);
}

int xs_runs_write(struct xs_target *t, const struct xs_runs *r, void (*after_first)(const char *),
                  const char *arg)
{
	for (size_t i = 0; i < r->n; i++) {
		int rc = xs_target_write(t, r->v[i].start, r->v[i].buf, r->v[i].len);

		if (rc)
			return rc;
		if (i == 0 && after_first)
			after_first(arg);
	}
	return 0;
}
