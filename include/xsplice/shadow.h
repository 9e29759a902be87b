/* SPDX-License-Identifier: MIT */
/*
 * Shadow variables: new state for objects the running process already has,
 * without changing their layout (as the kernel's klp_shadow). A shadow is a
 * zeroed block of memory attached to an object's address under an id:
 *
 *   #define CONN_FLAGS 1 // an id of your choosing, one per kind of state
 *   long *flags = xsplice_shadow_get_or_alloc(c, CONN_FLAGS, sizeof(long));
 *   if (flags) *flags |= BUSY;
 *   ...
 *   xsplice_shadow_free(c, CONN_FLAGS); // where the object is freed
 *
 * One table per process, shared by every payload loaded in it: a payload
 * that replaces another finds the shadows the first one attached. The
 * loader points xsplice__shadow_anchor at a word of the process's xsplice
 * registry; the first payload to need the table allocates it (malloc) and
 * publishes it there with a compare-and-swap. Code built outside a payload
 * (the program rebuilt from the patched source) gets one table of its own.
 * Every call takes the table's mutex: safe from any thread, not from a
 * signal handler or a hook (a stopped thread may hold it). The code is
 * here, in every payload that includes this header: the table's layout
 * below is part of the ABI (a different one must use another magic).
 *
 * Freeing a shadow when its object dies is the payload author's job:
 * replace the function that frees the object too, or the shadow leaks (and
 * a new object at the same address finds it).
 */
#ifndef XSPLICE_SHADOW_H
#define XSPLICE_SHADOW_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define XSPLICE__SHADOW_MAGIC 0x3144414853505358ULL /* "XSPSHAD1" */

struct xsplice__shadow {
	struct xsplice__shadow *next;
	const void *obj;
	unsigned long id;
	size_t size;
	_Alignas(16) unsigned char data[];
};

struct xsplice__shadow_table {
	uint64_t magic;
	pthread_mutex_t lock;
	size_t nbuckets, count; /* nbuckets: a power of two, or 0 */
	struct xsplice__shadow **buckets;
};

/* XSPLICE_SHADOW_ANCHOR (xsplice/payload.h): the loader resolves it. */
extern struct xsplice__shadow_table *xsplice__shadow_anchor __attribute__((weak));
/* Outside a payload: one per program (a weak definition in every file). */
__attribute__((weak)) struct xsplice__shadow_table *xsplice__shadow_own;

static inline struct xsplice__shadow_table *xsplice__shadow_table(void)
{
	struct xsplice__shadow_table **anchor = &xsplice__shadow_anchor;
	struct xsplice__shadow_table *t, *fresh;

	if (!anchor)
		anchor = &xsplice__shadow_own;
	t = __atomic_load_n(anchor, __ATOMIC_ACQUIRE);
	if (!t) {
		fresh = (struct xsplice__shadow_table *)calloc(1, sizeof(*fresh));
		if (!fresh)
			return NULL;
		fresh->magic = XSPLICE__SHADOW_MAGIC;
		fresh->lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
		if (__atomic_compare_exchange_n(anchor, &t, fresh, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			return fresh;
		free(fresh); /* another thread or payload published one first */
	}
	return t->magic == XSPLICE__SHADOW_MAGIC ? t : NULL;
}

static inline size_t xsplice__shadow_hash(const void *obj, unsigned long id, size_t nbuckets)
{
	uint64_t h = ((uint64_t)(uintptr_t)obj >> 3) ^ (id * 0x9e3779b97f4a7c15ULL);

	h *= 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 32)) & (nbuckets - 1);
}

/* The link pointing at (obj, id)'s shadow, or at the NULL ending its chain. */
static inline struct xsplice__shadow **xsplice__shadow_find(struct xsplice__shadow_table *t,
                                                            const void *obj, unsigned long id)
{
	struct xsplice__shadow **p;

	if (!t->nbuckets)
		return NULL;
	p = &t->buckets[xsplice__shadow_hash(obj, id, t->nbuckets)];
	while (*p && ((*p)->obj != obj || (*p)->id != id))
		p = &(*p)->next;
	return p;
}

/* Keep chains short: four times the buckets when there are two shadows a bucket. */
static inline void xsplice__shadow_grow(struct xsplice__shadow_table *t)
{
	size_t n = t->nbuckets ? 4 * t->nbuckets : 64;
	struct xsplice__shadow **b;

	if (t->nbuckets && t->count < 2 * t->nbuckets)
		return;
	b = (struct xsplice__shadow **)calloc(n, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++)
		while (t->buckets[i]) {
			struct xsplice__shadow *s = t->buckets[i];
			size_t h = xsplice__shadow_hash(s->obj, s->id, n);

			t->buckets[i] = s->next;
			s->next = b[h];
			b[h] = s;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static inline void *xsplice__shadow_attach(const void *obj, unsigned long id, size_t size,
                                           int or_get)
{
	struct xsplice__shadow_table *t = xsplice__shadow_table();
	struct xsplice__shadow *s, **p;
	void *ret = NULL;

	if (!t || size > SIZE_MAX - sizeof(*s))
		return NULL;
	s = (struct xsplice__shadow *)calloc(1, sizeof(*s) + size); /* outside the lock */
	if (!s)
		return NULL;
	s->obj = obj;
	s->id = id;
	s->size = size;
	pthread_mutex_lock(&t->lock);
	xsplice__shadow_grow(t);
	p = xsplice__shadow_find(t, obj, id);
	if (p && *p) {
		if (or_get && (*p)->size >= size)
			ret = (*p)->data;
	} else if (p) {
		*p = s;
		t->count++;
		ret = s->data;
		s = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	free(s);
	return ret;
}

/* obj's shadow under id, or NULL. */
static inline void *xsplice_shadow_get(const void *obj, unsigned long id)
{
	struct xsplice__shadow_table *t = xsplice__shadow_table();
	struct xsplice__shadow **p;
	void *ret = NULL;

	if (!t)
		return NULL;
	pthread_mutex_lock(&t->lock);
	p = xsplice__shadow_find(t, obj, id);
	if (p && *p)
		ret = (*p)->data;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* A new shadow of size bytes, zeroed; NULL if obj has one under id already
 * (or out of memory). */
static inline void *xsplice_shadow_alloc(const void *obj, unsigned long id, size_t size)
{
	return xsplice__shadow_attach(obj, id, size, 0);
}

/* obj's shadow under id, made (zeroed) if it has none; NULL if the one it
 * has is smaller than size (or out of memory). */
static inline void *xsplice_shadow_get_or_alloc(const void *obj, unsigned long id, size_t size)
{
	return xsplice__shadow_attach(obj, id, size, 1);
}

/* Free obj's shadow under id, if any. */
static inline void xsplice_shadow_free(const void *obj, unsigned long id)
{
	struct xsplice__shadow_table *t = xsplice__shadow_table();
	struct xsplice__shadow **p, *s = NULL;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	p = xsplice__shadow_find(t, obj, id);
	if (p && *p) {
		s = *p;
		*p = s->next;
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
	free(s);
}

/* Free every shadow under id (of every object). */
static inline void xsplice_shadow_free_all(unsigned long id)
{
	struct xsplice__shadow_table *t = xsplice__shadow_table();
	struct xsplice__shadow *dead = NULL;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct xsplice__shadow **p = &t->buckets[i]; *p;) {
			struct xsplice__shadow *s = *p;

			if (s->id != id) {
				p = &s->next;
				continue;
			}
			*p = s->next;
			t->count--;
			s->next = dead;
			dead = s;
		}
	pthread_mutex_unlock(&t->lock);
	while (dead) {
		struct xsplice__shadow *s = dead;

		dead = s->next;
		free(s);
	}
}

#endif /* XSPLICE_SHADOW_H */
