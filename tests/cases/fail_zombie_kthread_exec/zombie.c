/* SPDX-License-Identifier: MIT */
/* Forks a child that exits at once and never reaps it: the child stays a
 * zombie. Prints "zombie PID" then "ready", then sleeps. */
#include <sys/wait.h>

#include "tgt.h"

int main(void)
{
	pid_t c = fork();

	if (c == 0)
		_exit(0);
	say("zombie %d\n", (int)c);
	say("ready\n");
	for (;;)
		sleep_ms(1000);
}
