/* SPDX-License-Identifier: MIT */
/* server: a table of levels, and formatting. */
#ifndef SERVER_TABLE_H
#define SERVER_TABLE_H
#include <stddef.h>

const char *level_name(int level);
int table_lookup(const char *key);
size_t fmt_line(char *buf, size_t len, unsigned long n);

#endif
