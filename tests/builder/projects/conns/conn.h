/* SPDX-License-Identifier: MIT */
#ifndef CONN_H
#define CONN_H
#include <stddef.h>

/* One tick: a new connection every third tick (the oldest of three is
 * closed), every connection touched; the listener (c0) and the newest
 * described in buf. */
void conns_tick(unsigned long n, char *buf, size_t len);
#endif
