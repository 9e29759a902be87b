/* SPDX-License-Identifier: MIT */
/*
 * adjacent_sites target: ret_a, ret_b and ret_c return 1, 2 and 3 and sit
 * back to back, 6 bytes each (written in assembly so their layout is
 * known). A thread calls them in a loop; the main thread prints
 * "tick N a=A b=B c=C" every 100 ms.
 */
#include <pthread.h>

#include "tgt.h"

int ret_a(void);
int ret_b(void);
int ret_c(void);

__asm__(".text\n"
	".globl ret_a, ret_b, ret_c\n"
	".type ret_a, @function\n"
	"ret_a:\n"
	"	movl $1, %eax\n"
	"	ret\n"
	".size ret_a, .-ret_a\n"
	".type ret_b, @function\n"
	"ret_b:\n"
	"	movl $2, %eax\n"
	"	ret\n"
	".size ret_b, .-ret_b\n"
	".type ret_c, @function\n"
	"ret_c:\n"
	"	movl $3, %eax\n"
	"	ret\n"
	".size ret_c, .-ret_c\n");

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long n = 0;; n++) {
		ret_a();
		ret_b();
		ret_c();
		if (n % 64 == 0)
			sleep_ms(1);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	say("addr ret_a %p\n", (void *)ret_a);
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(100);
		say("tick %lu a=%d b=%d c=%d\n", tick, ret_a(), ret_b(), ret_c());
	}
}
