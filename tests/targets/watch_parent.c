/* SPDX-License-Identifier: MIT */
/*
 * Runs PROG ARGS as its child and reports on stderr every stop or continue
 * the parent is told about (waitpid WUNTRACED|WCONTINUED): a target that is
 * live patched must give its parent nothing to see. The child dies with us.
 * Usage: watch_parent PROG [ARGS...]
 */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child;
	int st;

	if (argc < 2)
		return 2;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(child, &st, WUNTRACED | WCONTINUED);

		if (r < 0)
			return 1;
		if (WIFSTOPPED(st))
			fprintf(stderr, "parent saw: child %d stopped by signal %d\n", (int)child, WSTOPSIG(st));
		else if (WIFCONTINUED(st))
			fprintf(stderr, "parent saw: child %d continued\n", (int)child);
		else {
			fprintf(stderr, "parent saw: child %d exited (status 0x%x)\n", (int)child, st);
			return 0;
		}
	}
}
