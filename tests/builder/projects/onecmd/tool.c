/* SPDX-License-Identifier: MIT */
/* onecmd: a second program, built by `make extra`. */
#include <stdio.h>

int main(void)
{
	puts("tool");
	return 0;
}
