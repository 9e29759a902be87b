/* SPDX-License-Identifier: MIT */
/* externs: parses -b N with getopt (so optarg is copied into the
 * executable), prints "ready", then one "tick N ..." line every 100 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "level.h"

static int base;

/* noipa: its callers are built without knowing which registers it uses
 * (IPA-RA), so a fix that makes it call functions does not change main */
static __attribute__((noipa)) int bonus(unsigned long n)
{
	return (int)(n % 2);
}

int main(int argc, char **argv)
{
	/* One call: optarg keeps pointing at the argument (the next call,
	 * finding no more options, would set it to NULL). */
	if (getopt(argc, argv, "b:") == 'b')
		base = atoi(optarg);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		printf("tick %lu base=%d bonus=%d scaled=%d\n", n, base, bonus(n), scaled(2));
		usleep(100000);
	}
}
