/* SPDX-License-Identifier: MIT */
/* Error message slot, debug tracing and small helpers shared by all stages. */
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char message[512];

static void set_message(const char *fmt, va_list ap)
{
	vsnprintf(message, sizeof(message), fmt, ap);
}

int xs_fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (message[0])
		return err;
	va_start(ap, fmt);
	set_message(fmt, ap);
	va_end(ap);
	return err;
}

int xs_fail_override(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(fmt, ap);
	va_end(ap);
	return err;
}

const char *xs_error_message(void)
{
	return message;
}

void xs_error_clear(void)
{
	message[0] = '\0';
}

static const char *line_prefix = "xsplice";

void xs_set_line_prefix(const char *prefix)
{
	line_prefix = prefix;
}

void xs_note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", line_prefix, line);
}

static int debug_enabled = -1;
static long long debug_t0;

bool xs_debug_on(void)
{
	if (debug_enabled < 0) {
		debug_enabled = getenv("XSPLICE_DEBUG") != NULL;
		debug_t0 = xs_now_us();
	}
	return debug_enabled;
}

void xs_debug(const char *fmt, ...)
{
	va_list ap;

	if (!xs_debug_on())
		return;
	va_start(ap, fmt);
	fprintf(stderr, "xsplice: debug: %7lld us: ", xs_now_us() - debug_t0);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The stop's timeline: marks kept in memory while threads wait, printed after. */
static struct {
	long long us;
	const char *what;
} marks[48];
static size_t nmarks;

void xs_mark(const char *what)
{
	if (xs_debug_on() && nmarks < XS_ARRAY_SIZE(marks)) {
		marks[nmarks].us = xs_now_us();
		marks[nmarks++].what = what;
	}
}

void xs_marks_print(const char *title)
{
	char line[2048];
	size_t len = 0;

	for (size_t i = 0; i < nmarks && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s +%lld", marks[i].what,
					marks[i].us - marks[0].us);
	if (nmarks) /* the first mark in CLOCK_MONOTONIC too, to line up with other tools */
		xs_debug("%s (from %lld):%s", title, marks[0].us, line);
	nmarks = 0;
}

long long xs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long long xs_now_us(void)
{
	return xs_now_ns() / 1000;
}

long long xs_now_ms(void)
{
	return xs_now_us() / 1000;
}

int xs_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	struct stat st;
	unsigned char *data;
	size_t done = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xs_fail(-errno, "%s: cannot open", path);
	if (fstat(fd, &st) < 0) {
		rc = xs_fail(-errno, "%s: cannot stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = xs_fail(-EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = xs_fail(-EFBIG, "%s: %lld bytes, over the limit of %zu", path,
			     (long long)st.st_size, max);
		goto out;
	}
	data = malloc(st.st_size ? st.st_size : 1);
	if (!data) {
		rc =
		    xs_fail(-ENOMEM, "%s: cannot allocate %lld bytes", path, (long long)st.st_size);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, st.st_size - done);

		if (n <= 0) {
			rc = xs_fail(n < 0 ? -errno : -EIO, "%s: short read", path);
			free(data);
			goto out;
		}
		done += n;
	}
	*buf = data;
	*len = done;
out:
	close(fd);
	return rc;
}

void xs_hex(const unsigned char *bytes, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xs_unhex(const char *hex, unsigned char *bytes, size_t max, size_t *len)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}
