/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the integration-test targets: line output with one
 * write(2) per line (threads never interleave, nothing sits in a buffer) and
 * an EINTR-proof millisecond sleep.
 */
#ifndef XS_TGT_H
#define XS_TGT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2))) static inline void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int saved = errno, n;
	size_t off = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	while (off < (size_t)n) {
		ssize_t w = write(1, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	errno = saved;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* True once the file exists (the test's way to poke a target); removes it. */
static inline int poked(const char *path)
{
	if (!path || access(path, F_OK))
		return 0;
	unlink(path);
	return 1;
}

#endif
