/* SPDX-License-Identifier: MIT */
/*
 * A program that runs execve on itself over and over, from inside the
 * function a payload replaces: a looper thread calls compute(-PERIOD), which
 * sleeps PERIOD ms and then execs the program again (so compute() is never
 * free of it and an apply waits, the process held, until the execve). Two
 * workers print "iN compute(7)=V" when the value they see changes (N: the
 * image, counted in argv). With a negative PERIOD the main thread execs
 * instead, every -PERIOD ms (plus 0..12), outside compute(). DIR/stop makes
 * the next image stop exec'ing: it prints "settled N".
 * Usage: execloop PERIOD DIR [IMAGE]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tgt.h"

volatile int input = 7;
volatile int scale = 2;
static char **again;
static long image;

__attribute__((noinline, noipa)) int compute(int x)
{
	if (x < 0) {
		sleep_ms(-x);
		execv("/proc/self/exe", again);
		say("execv failed\n");
		_exit(1);
	}
	return x * scale;
}

static void *worker(void *arg)
{
	int last = -1;

	(void)arg;
	for (unsigned long n = 0;; n++) {
		int v = compute(input);

		if (v != last)
			say("i%ld compute(7)=%d\n", image, last = v);
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

static void *looper(void *arg)
{
	compute(-(int)(long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	char next[32], stop[4096], *args[] = { argv[0], argv[1], argv[2], next, NULL };
	pthread_t t;

	if (argc < 3)
		return 2;
	image = argc > 3 ? atol(argv[3]) : 0;
	snprintf(next, sizeof(next), "%ld", image + 1);
	snprintf(stop, sizeof(stop), "%s/stop", argv[2]);
	again = args;
	for (int i = 0; i < 2; i++)
		pthread_create(&t, NULL, worker, NULL);
	say("image %ld\n", image);
	if (image == 0)
		say("ready\n");
	if (!access(stop, F_OK))
		say("settled %ld\n", image);
	else if (atol(argv[1]) > 0)
		pthread_create(&t, NULL, looper, (void *)atol(argv[1]));
	else {
		sleep_ms(-atol(argv[1]) + image * 7 % 13);
		execv("/proc/self/exe", again);
		say("execv failed\n");
		return 1;
	}
	for (;;)
		sleep_ms(1000);
}
