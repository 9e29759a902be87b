/* SPDX-License-Identifier: MIT */
/* server: prints "ready", then "tick N ..." every 100 ms. */
#include <stdio.h>
#include <unistd.h>

#include "table.h"

int main(void)
{
	char buf[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		fmt_line(buf, sizeof(buf), n);
		printf("tick %lu %s\n", n, buf);
		usleep(100000);
	}
}
