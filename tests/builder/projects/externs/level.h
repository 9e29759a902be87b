/* SPDX-License-Identifier: MIT */
/* externs: what liblevel.so exports. */
#ifndef EXTERNS_LEVEL_H
#define EXTERNS_LEVEL_H

extern int level; /* the executable itself never names it: no copy of it there */

int scaled(int x);

#endif
