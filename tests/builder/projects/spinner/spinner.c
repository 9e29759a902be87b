/* SPDX-License-Identifier: MIT */
/* spinner: a thread spins, main prints one "tick N ..." line every 100 ms;
 * at -O0 every string literal of the file sits in one .rodata. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long spins;

__attribute__((constructor)) static void setup(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void *spin(void *arg)
{
	char buf[64];

	(void)arg;
	for (;;) {
		snprintf(buf, sizeof(buf), "spin %lu", spins);
		spins++;
		usleep(10000);
	}
	return NULL;
}

const char *mood(void)
{
	return "calm";
}

const char *word(void)
{
	return mood()[0] ? "plain" : "none";
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, spin, NULL)) {
		fprintf(stderr, "spinner: pthread_create failed\n");
		return 1;
	}
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		printf("tick %lu word=%s mood=%s spinning=%s\n", n, word(), mood(), spins ? "yes" : "no");
		usleep(100000);
	}
}

/* Data pointing at literals: when a literal before them grows they move,
 * and it is still the same data. */
const char *names[] = { "alpha", "beta" };
