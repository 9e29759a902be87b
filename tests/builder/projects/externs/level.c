/* SPDX-License-Identifier: MIT */
/* externs: liblevel.so, scaling by its exported `level`. */
#include "level.h"

int level = 3;

__attribute__((noinline)) int scaled(int x)
{
	return x * level;
}
