/* SPDX-License-Identifier: MIT */
/* withlib: what libcalc.so exports. */
#ifndef WITHLIB_CALC_H
#define WITHLIB_CALC_H

int calc(int x);
int calc_scale(void);

#endif
