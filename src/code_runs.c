/* SPDX-License-Identifier: MIT */
/* Batched reads and writes of target memory (see code_runs.h). */
#include "code_runs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "warm_pages.h"

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
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].buf);
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
		r->v[r->n++] = (struct run){s[i].addr, s[i].len, NULL};
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

		/* Written now: its pages are not faulted in while threads wait. */
		run->buf = malloc(run->len);
		if (run->buf) {
			memset(run->buf, 0, run->len);
			xs_pages_touch_ours(run->buf, run->len); /* and by the kernel */
		} else
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
		int rc = t ? xs_target_read(t, run->start, run->buf, run->len)
			   : xs_proc_read(pid, run->start, run->buf, run->len);

		if (rc)
			return rc;
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
