/* SPDX-License-Identifier: MIT */
/* conns: prints "ready", then one "tick N ..." line every 100 ms, from a
 * second thread (the patched process is multithreaded). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "conn.h"

static void *ticker(void *arg)
{
	char buf[256];

	(void)arg;
	for (unsigned long n = 0;; n++) {
		conns_tick(n, buf, sizeof(buf));
		printf("tick %lu %s\n", n, buf);
		usleep(100000);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	if (pthread_create(&t, NULL, ticker, NULL))
		return 1;
	for (;;)
		pause();
}
