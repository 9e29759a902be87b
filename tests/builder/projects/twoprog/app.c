/* SPDX-License-Identifier: MIT */
/* twoprog: prints "ready", then "tick N value=V" every 100 ms. */
#include <stdio.h>
#include <unistd.h>

int value(int n);
extern int limit;

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (int n = 0;; n++) {
		printf("tick %d value=%d limit=%d\n", n, value(n), limit);
		usleep(100000);
	}
}
