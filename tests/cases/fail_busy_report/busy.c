/* SPDX-License-Identifier: MIT */
/*
 * fail_busy_report target: park_fn(x) and other_fn(x) sleep -x ms (poll)
 * when x < 0, else return x * 2. The main thread prints
 * "tick N park_fn(7)=V other_fn(7)=W" every 100 ms. Poke files in DIR:
 *   DIR/park:  two threads call park_fn(-20000) and one other_fn(-20000),
 *              each printing "parked TID FUNCTION" first;
 *   DIR/nocfi: a thread sleeps 20 s in nocfi_sleep, assembly without CFI
 *              (no stack walk gets past it), printing "nocfi TID" first;
 *   DIR/many:  seven more threads call park_fn(-20000), as DIR/park.
 * Usage: busy DIR
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "tgt.h"

volatile int scale = 2;
static const char *dir;

__attribute__((noinline, noipa)) int park_fn(int x)
{
	if (x < 0)
		poll(NULL, 0, -x);
	return x * scale;
}

__attribute__((noinline, noipa)) int other_fn(int x)
{
	if (x < 0)
		poll(NULL, 0, -x);
	return x * scale;
}

/* nanosleep(ts, NULL) by hand, with no .cfi directives: no CFI row covers it. */
void nocfi_sleep(const struct timespec *ts);
__asm__(".text\n"
	".globl nocfi_sleep\n"
	".type nocfi_sleep, @function\n"
	"nocfi_sleep:\n"
	"	xor %esi, %esi\n"
	"	mov $35, %eax\n" /* SYS_nanosleep */
	"	syscall\n"
	"	ret\n"
	".size nocfi_sleep, .-nocfi_sleep\n");

static void *nocfi(void *arg)
{
	struct timespec ts = { 20, 0 };

	(void)arg;
	say("nocfi %d\n", gettid());
	nocfi_sleep(&ts);
	return NULL;
}

static void *parker(void *arg)
{
	int which = (int)(long)arg;

	say("parked %d %s\n", gettid(), which ? "other_fn" : "park_fn");
	return (void *)(long)(which ? other_fn(-20000) : park_fn(-20000));
}

int main(int argc, char **argv)
{
	char path[4096], nocfi_path[4096], many[4096];
	pthread_t t;

	dir = argc > 1 ? argv[1] : ".";
	snprintf(path, sizeof(path), "%s/park", dir);
	snprintf(nocfi_path, sizeof(nocfi_path), "%s/nocfi", dir);
	snprintf(many, sizeof(many), "%s/many", dir);
	say("addr park_fn %p\n", (void *)park_fn);
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		if (poked(path))
			for (long i = 0; i < 3; i++)
				if (pthread_create(&t, NULL, parker, (void *)(long)(i == 2)))
					return 1;
		if (poked(nocfi_path) && pthread_create(&t, NULL, nocfi, NULL))
			return 1;
		if (poked(many))
			for (int i = 0; i < 7; i++)
				if (pthread_create(&t, NULL, parker, NULL))
					return 1;
		sleep_ms(100);
		say("tick %lu park_fn(7)=%d other_fn(7)=%d\n", tick, park_fn(7), other_fn(7));
	}
}
