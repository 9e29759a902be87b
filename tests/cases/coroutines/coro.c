/* SPDX-License-Identifier: MIT */
/*
 * coro: three ucontext coroutines on stacks of their own; main switches to
 * each in turn, then prints one "tick N held=H work=A,B,C" line every 100 ms.
 * While the file argv[1] exists, coroutine 1 stays suspended inside work().
 * Lists its coroutines in xsplice_coroutines unless built with -DNO_LIST
 * (-DBAD_COUNT: a list claiming too many).
 */
#include <stdio.h>
#include <ucontext.h>
#include <unistd.h>

#include <xsplice/coroutines.h>

#define NCO 3

static ucontext_t sched_ctx, co_ctx[NCO];
static char stacks[NCO][64 * 1024];
static ucontext_t *list[NCO];
static const char *hold;
static volatile int cur, held, results[NCO] = { -1, -1, -1 };

#ifndef NO_LIST
#ifdef BAD_COUNT
struct xsplice_coroutines xsplice_coroutines = XSPLICE_COROUTINES_INIT(list, 100000);
#else
struct xsplice_coroutines xsplice_coroutines = XSPLICE_COROUTINES_INIT(list, NCO);
#endif
#endif

static void yield(void)
{
	swapcontext(&co_ctx[cur], &sched_ctx);
}

__attribute__((noinline)) int work(int x)
{
	while (cur == 1 && hold && access(hold, F_OK) == 0) {
		held = 1;
		yield();
	}
	if (cur == 1)
		held = 0;
	return x * 2;
}

static void body(void)
{
	int me = cur;

	for (;;) {
		results[me] = work(me + 10);
		yield();
	}
}

int main(int argc, char **argv)
{
	hold = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < NCO; i++) {
		getcontext(&co_ctx[i]);
		co_ctx[i].uc_stack.ss_sp = stacks[i];
		co_ctx[i].uc_stack.ss_size = sizeof(stacks[i]);
		co_ctx[i].uc_link = NULL;
		makecontext(&co_ctx[i], body, 0);
		list[i] = &co_ctx[i];
	}
	printf("ready\n");
	for (unsigned long n = 0;; n++) {
		for (cur = 0; cur < NCO; cur++)
			swapcontext(&sched_ctx, &co_ctx[cur]);
		printf("tick %lu held=%d work=%d,%d,%d\n", n, held, results[0], results[1], results[2]);
		usleep(100000);
	}
}
