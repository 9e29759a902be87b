/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the shadow variables of include/xsplice/shadow.h: the API
 * (alloc, get, get_or_alloc, free, free_all), and several threads attaching,
 * reading and freeing at once, on their own objects and on shared ones. The
 * anchor is defined here as the loader would resolve it: one word.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xsplice/shadow.h>

#include "check.h"

struct xsplice__shadow_table *xsplice__shadow_anchor;

#define THREADS 8
#define OBJS 512 /* per thread */
#define ROUNDS 50
#define SHARED 64 /* objects every thread counts on */
#define ID_OWN 1
#define ID_SHARED 2

static long objs[THREADS][OBJS], shared[SHARED];
static int errors[THREADS];

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < OBJS; i++) {
			long *v = xsplice_shadow_alloc(&objs[me][i], ID_OWN, sizeof(long));

			if (!v || *v != 0)
				errors[me]++;
			else
				*v = me * 100000 + i;
		}
		for (int i = 0; i < OBJS; i++) {
			long *v = xsplice_shadow_get(&objs[me][i], ID_OWN);

			if (!v || *v != me * 100000 + i)
				errors[me]++;
			if (xsplice_shadow_alloc(&objs[me][i], ID_OWN, sizeof(long)))
				errors[me]++; /* already there */
		}
		for (int i = 0; i < SHARED; i++) {
			long *c = xsplice_shadow_get_or_alloc(&shared[i], ID_SHARED, sizeof(long));

			if (!c)
				errors[me]++;
			else
				__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
		}
		for (int i = 0; i < OBJS; i++) {
			xsplice_shadow_free(&objs[me][i], ID_OWN);
			if (xsplice_shadow_get(&objs[me][i], ID_OWN))
				errors[me]++;
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	int bad = 0, counted = 0;
	long key = 0;
	char *big;

	check(xsplice_shadow_get(&key, 7) == NULL, "no shadow before any is made");
	big = xsplice_shadow_alloc(&key, 7, 100);
	check(big && xsplice__shadow_anchor,
	      "alloc makes the table and publishes it at the anchor");
	check(big && big[0] == 0 && big[99] == 0 && ((uintptr_t)big & 15) == 0,
	      "a new shadow is zeroed and 16-byte aligned");
	check(xsplice_shadow_get(&key, 7) == big && xsplice_shadow_get(&key, 8) == NULL,
	      "get finds it by object and id, and only so");
	check(xsplice_shadow_alloc(&key, 7, 100) == NULL,
	      "a second alloc of the same one is refused");
	check(xsplice_shadow_get_or_alloc(&key, 7, 50) == big,
	      "get_or_alloc returns the one there");
	check(xsplice_shadow_get_or_alloc(&key, 7, 200) == NULL,
	      "get_or_alloc refuses one smaller than asked for");
	xsplice_shadow_free(&key, 7);
	check(xsplice_shadow_get(&key, 7) == NULL, "free takes it away");
	xsplice_shadow_free(&key, 7); /* nothing there: no effect */

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
			return 2;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		bad += errors[i];
	check(bad == 0, "%d threads attach, read and free %d shadows each %d times: %d errors",
	      THREADS, OBJS, ROUNDS, bad);
	for (int i = 0; i < SHARED; i++) {
		long *c = xsplice_shadow_get(&shared[i], ID_SHARED);

		counted += c && *c == THREADS * ROUNDS;
	}
	check(counted == SHARED,
	      "every thread found the same shadow of each shared object (%d of %d)", counted,
	      SHARED);
	check(xsplice__shadow_anchor->count == SHARED, "only the shared shadows are left (%zu)",
	      xsplice__shadow_anchor->count);
	xsplice_shadow_free_all(ID_SHARED);
	check(xsplice__shadow_anchor->count == 0 && !xsplice_shadow_get(&shared[0], ID_SHARED),
	      "free_all frees every shadow of an id");

	free(xsplice__shadow_anchor->buckets); /* the table lives as long as the process */
	free(xsplice__shadow_anchor);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
