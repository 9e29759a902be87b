/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the pages read just before a stop (src/target/warm_pages.c): run
 * on this process, every parked thread's frame must be among the stack
 * pages found, each stack gives at most its top four; ranges add each page
 * they touch once; a missing process or a vanished page is no error. Also
 * the batched read both the touch and the unwinder's stack tops use
 * (xs_proc_readv): which pieces it reports read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "target/target.h"
#include "target/warm_pages.h"

#define THREADS 8
#define PAGE 4096u

static pthread_barrier_t parked, done;
static uint64_t frame_page[THREADS];

static void *park(void *arg)
{
	uint64_t *page = arg;

	*page = (uint64_t)(uintptr_t)__builtin_frame_address(0) & ~(uint64_t)(PAGE - 1);
	pthread_barrier_wait(&parked);
	pthread_barrier_wait(&done);
	return NULL;
}

static bool listed(const struct xs_pages *p, uint64_t page)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->addr[i] == page)
			return true;
	return false;
}

int main(void)
{
	pthread_t th[THREADS];
	struct xs_pages p = { 0 }, none = { 0 };
	size_t found = 0;
	int n = 0;

	pthread_barrier_init(&parked, NULL, THREADS + 1);
	pthread_barrier_init(&done, NULL, THREADS + 1);
	for (; n < THREADS; n++)
		if (pthread_create(&th[n], NULL, park, &frame_page[n]))
			break;
	check(n == THREADS, "%d threads started", n);
	if (n == THREADS)
		pthread_barrier_wait(&parked);

	xs_pages_add_stacks(getpid(), &p);
	for (int i = 0; i < n; i++)
		found += listed(&p, frame_page[i]);
	check(found == (size_t)n, "each parked thread's frame page is listed (%zu of %d)", found,
	      n);
	check(xs_pages_touch(getpid(), &p) == p.n, "every listed page can be read");
	check(p.n >= (size_t)n && p.n <= 4u * (THREADS + 1) + 16,
	      "a few pages per stack, not whole stacks (%zu pages)", p.n);
	for (size_t i = 0; i < p.n; i++)
		if (p.addr[i] % PAGE) {
			check(false, "page 0x%llx is not page-aligned",
			      (unsigned long long)p.addr[i]);
			break;
		}

	/* A page unmapped since it was listed: the touch goes on past it. */
	{
		void *gone =
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t list[3] = { p.n ? p.addr[0] : 0, (uint64_t)(uintptr_t)gone,
			             p.n ? p.addr[p.n - 1] : 0 };
		struct xs_pages some = { list, 3, 3 };

		munmap(gone, PAGE);
		check(p.n >= 2 && xs_pages_touch(getpid(), &some) == 2,
		      "the touch goes on past a page unmapped since it was listed");
	}

	{
		struct xs_pages r = { 0 };
		bool ok = xs_pages_add_range(&r, 0x1ff8, 16) && xs_pages_add_range(&r, 0x2000, 8) &&
		          xs_pages_add_range(&r, 0x5000, 0) &&
		          xs_pages_add_range(&r, UINT64_MAX - 8, 64);

		check(ok && r.n == 2 && r.addr[0] == 0x1000 && r.addr[1] == 0x2000,
		      "ranges: each page once, empty and wrapping ranges add nothing (%zu pages)",
		      r.n);
		xs_pages_free(&r);
	}

	/* Pieces of several sizes; one in an unmapped page, one running into it. */
	{
		unsigned char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char buf[5][64];
		struct iovec local[5], remote[5];
		bool ok[5];
		long got;

		memset(two, 7, PAGE);
		munmap(two + PAGE, PAGE);
		for (int i = 0; i < 5; i++)
			local[i] = (struct iovec){ buf[i], 16 + 8 * i };
		remote[0] = (struct iovec){ two, 16 };
		remote[1] = (struct iovec){ two + PAGE + 8, 24 }; /* unmapped */
		remote[2] = (struct iovec){ two + 100, 32 };
		remote[3] = (struct iovec){ two + PAGE - 8, 40 }; /* runs into it */
		remote[4] = (struct iovec){ two + 200, 48 };
		memset(buf, 0, sizeof(buf));
		got = xs_proc_readv(getpid(), local, remote, 5, ok);
		check(
		    got == 3 && ok[0] && !ok[1] && ok[2] && !ok[3] && ok[4] && buf[4][47] == 7,
		    "batched read: pieces 0, 2, 4 read, the unmapped and the straddling one not (%ld)",
		    got);
		{
			enum { MANY = 1100 }; /* more than one call's IOV_MAX */
			struct iovec *l = calloc(MANY, sizeof(*l)), *r = calloc(MANY, sizeof(*r));
			uint64_t word;

			for (int i = 0; l && r && i < MANY; i++) {
				l[i] = (struct iovec){ &word, sizeof(word) };
				r[i] = (struct iovec){ two + 8 * (i % 500), sizeof(word) };
			}
			check(l && r && xs_proc_readv(getpid(), l, r, MANY, NULL) == MANY,
			      "batched read: %d pieces over two calls, none skipped", MANY);
			free(l);
			free(r);
		}
		check(xs_proc_readv(999999999, local, remote, 5, ok) == -ESRCH,
		      "batched read: no such process is -ESRCH");
		munmap(two, PAGE);
	}

	/* Our own memory: every page of the range reached, its bytes unchanged. */
	{
		unsigned char *fresh = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char in[4] = { 0 };
		unsigned char *pat = malloc(3 * PAGE);
		bool same = pat != NULL;

		xs_pages_touch_ours(fresh + 100, 2 * PAGE + 50); /* pages 0-2, not 3 */
		check(mincore(fresh, 4 * PAGE, in) == 0 && (in[0] & in[1] & in[2] & 1) &&
		          !(in[3] & 1),
		      "own range: the kernel reached each of its pages and none past it");
		for (size_t i = 0; pat && i < 3 * PAGE; i++)
			pat[i] = (unsigned char)(i * 7 + 3);
		xs_pages_touch_ours(pat ? pat + 1 : NULL, pat ? 3 * PAGE - 2 : 0);
		xs_pages_touch_ours(pat, 0);
		for (size_t i = 0; pat && i < 3 * PAGE; i++)
			same &= pat[i] == (unsigned char)(i * 7 + 3);
		check(same, "own range: its bytes are unchanged");
		free(pat);
		munmap(fresh, 4 * PAGE);
	}

	xs_pages_add_stacks(999999999, &none);
	check(none.n == 0 && !none.addr, "no such process: an empty list");
	check(xs_pages_touch(999999999, &p) == 0, "no such process: nothing touched");
	xs_pages_free(&none);

	if (n == THREADS)
		pthread_barrier_wait(&done);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	xs_pages_free(&p);
	check(p.n == 0 && !p.addr, "freed list is empty");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
