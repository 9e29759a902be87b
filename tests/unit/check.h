/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' one assertion: prints "ok"/"FAIL" and the description,
 * counts checks and failures (each test's main reports them and exits
 * non-zero on any failure).
 */
#ifndef XS_TEST_CHECK_H
#define XS_TEST_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

static int failures, checks;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static __attribute__((unused)) void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s - ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		failures++;
		if (xs_error_message()[0])
			printf(" [last error: %s]", xs_error_message());
	}
	putchar('\n');
	fflush(stdout);
}

#endif
