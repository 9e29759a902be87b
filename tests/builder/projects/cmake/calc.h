/* SPDX-License-Identifier: MIT */
/* cmake: calc.c's interface. */
#ifndef CALC_H
#define CALC_H
int calc(int x);
#endif
