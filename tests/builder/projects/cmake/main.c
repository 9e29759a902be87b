/* SPDX-License-Identifier: MIT */
/* cmake: prints "ready", then one "tick N calc=M" line every 100 ms. */
#include <stdio.h>
#include <unistd.h>

#include "calc.h"

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		printf("tick %lu calc=%d\n", n, calc(7));
		usleep(100000);
	}
}
