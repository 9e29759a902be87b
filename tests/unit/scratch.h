/* SPDX-License-Identifier: MIT */
/* Unit tests that build programs: write a file into their scratch directory,
 * run a shell command (printed when it fails). */
#ifndef XS_TEST_SCRATCH_H
#define XS_TEST_SCRATCH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static __attribute__((unused)) int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fputs(text, f) < 0;
	return fclose(f) || rc ? -1 : 0;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	return st == 0 ? 0 : -1;
}

#endif
