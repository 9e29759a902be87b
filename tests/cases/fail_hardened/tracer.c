/* SPDX-License-Identifier: MIT */
/* fail_hardened helper: PTRACE_SEIZE the given pid (it keeps running), say
 * "seized", then wait to be killed. Usage: xs_tracer PID */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || ptrace(PTRACE_SEIZE, atoi(argv[1]), NULL, NULL)) {
		perror("PTRACE_SEIZE");
		return 1;
	}
	printf("seized\n");
	fflush(stdout);
	for (;;)
		pause();
}
