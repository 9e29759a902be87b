/* SPDX-License-Identifier: MIT */
/* ticker: shared declarations (OFFSET is used by calc.c and report.c). */
#ifndef TICKER_CALC_H
#define TICKER_CALC_H
#include <stddef.h>

#define OFFSET 1

int calc(int x);
int other(int x);
void report(char *buf, size_t len);
void hook(unsigned long n);

#endif
