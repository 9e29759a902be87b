/* SPDX-License-Identifier: MIT */
/* conns: connections on the heap; the listener lives as long as the program. */
#include <stdio.h>
#include <stdlib.h>

#include "conn.h"

struct conn {
	long id;
	long hits;
	char name[16];
};

static struct conn *listener, *ring[3], *newest;
static long next_id = 1;

__attribute__((noinline)) struct conn *conn_new(long id)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->id = id;
	snprintf(c->name, sizeof(c->name), "c%ld", id);
	return c;
}

__attribute__((noinline)) void conn_close(struct conn *c)
{
	free(c);
}

__attribute__((noinline)) long conn_touch(struct conn *c)
{
	return ++c->hits;
}

__attribute__((noinline)) int conn_describe(const struct conn *c, char *buf, size_t len)
{
	return snprintf(buf, len, "%s hits=%ld", c->name, c->hits);
}

void conns_tick(unsigned long n, char *buf, size_t len)
{
	int k;

	if (!listener)
		listener = conn_new(0);
	if (n % 3 == 0) {
		struct conn **slot = &ring[(n / 3) % 3];

		if (*slot)
			conn_close(*slot);
		*slot = newest = conn_new(next_id++);
	}
	conn_touch(listener);
	for (int i = 0; i < 3; i++)
		if (ring[i])
			conn_touch(ring[i]);
	k = conn_describe(listener, buf, len);
	if (k >= 0 && (size_t)k < len)
		buf[k++] = ' ';
	if (k >= 0 && (size_t)k < len)
		conn_describe(newest, buf + k, len - k);
}
