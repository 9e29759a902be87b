/* SPDX-License-Identifier: MIT */
/* probe: prints "ready", then "tick N value=V" every 100 ms. */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int value(int n)
{
	return n % 5 + 10;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (int n = 0;; n++) {
		printf("tick %d value=%d\n", n, value(n));
		usleep(100000);
	}
}
