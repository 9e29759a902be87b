/* SPDX-License-Identifier: MIT */
/* ticker: prints "ready", then one "tick N ..." line every 100 ms. */
#include <stdio.h>
#include <unistd.h>

#include "calc.h"

int main(void)
{
	char buf[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		report(buf, sizeof(buf));
		hook(n);
		printf("tick %lu %s other=%d\n", n, buf, other(5));
		usleep(100000);
	}
}
