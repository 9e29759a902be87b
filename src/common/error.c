/* SPDX-License-Identifier: MIT */
/* Error message slot, debug tracing and small helpers shared by all stages. */
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char message[512];
static enum xs_fail_kind message_kind;
static char details[8192];
static size_t details_len;
static bool details_full;

static void set_message(const char *fmt, va_list ap)
{
	vsnprintf(message, sizeof(message), fmt, ap);
	message_kind = XS_FAIL_REFUSED;
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

int xs_fail_kind(enum xs_fail_kind kind, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(fmt, ap);
	va_end(ap);
	message_kind = kind;
	return err;
}

const char *xs_error_message(void)
{
	return message;
}

enum xs_fail_kind xs_error_kind(void)
{
	return message[0] ? message_kind : XS_FAIL_REFUSED;
}

void xs_error_clear(void)
{
	message[0] = '\0';
	message_kind = XS_FAIL_REFUSED;
}

void xs_error_details_clear(void)
{
	details[0] = '\0';
	details_len = 0;
	details_full = false;
}

void xs_error_detail(const char *fmt, ...)
{
	static const char cut[] = "(more lines left out)\n";
	size_t room = sizeof(details) - sizeof(cut) - details_len;
	va_list ap;
	int n;

	if (details_full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(details + details_len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 1 < room && !memchr(details + details_len, '\n', (size_t)n)) {
		details_len += (size_t)n;
		details[details_len++] = '\n';
		details[details_len] = '\0';
		return;
	}
	memcpy(details + details_len, cut,
	       sizeof(cut)); /* one that does not fit, or not one line */
	details_len += sizeof(cut) - 1;
	details_full = true;
}

const char *xs_error_details(void)
{
	return details;
}

static const char *const project_errors[XS_ERRNO__END - XS_ERRNO__START] = {
	[XS_ERRNO__BUILD_ID - XS_ERRNO__START] = "Build-id mismatch",
	[XS_ERRNO__NO_OBJECT - XS_ERRNO__START] = "Object not loaded",
	[XS_ERRNO__NO_SYMBOL - XS_ERRNO__START] = "Symbol not found",
	[XS_ERRNO__TOOL - XS_ERRNO__START] = "Tool failed",
};

const char *xs_strerror(int err)
{
	if (err >= XS_ERRNO__START && err < XS_ERRNO__END)
		return project_errors[err - XS_ERRNO__START];
	return strerror(err);
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

void xs_crash_point(const char *name)
{
	static const char *at;
	static size_t len;
	static long want, passed;
	const char *colon;

	if (!at) { /* once: this runs on paths that stop the target */
		at = getenv("XSPLICE_TEST_CRASH_AT");
		at = at ? at : "";
		colon = strchr(at, ':');
		len = colon ? (size_t)(colon - at) : strlen(at);
		want = colon ? atol(colon + 1) : 1;
	}
	if (len && !strncmp(at, name, len) && !name[len] && ++passed == want)
		raise(SIGKILL);
}

void xs_child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
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

int xs_open_regular(const char *path, int *fd, size_t *size)
{
	struct stat st;
	int rc = 0;

	*fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (fstat(*fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	if (rc) {
		close(*fd);
		*fd = -1;
		return rc;
	}
	/* O_NONBLOCK stays: reads of a regular file never block on it anyway. */
	if (size)
		*size = (size_t)st.st_size;
	return 0;
}

int xs_open_file(const char *what, const char *path, int *fd, size_t *size)
{
	int rc = xs_open_regular(path, fd, size);

	if (rc == -EINVAL)
		return xs_fail(rc, "%s %s: not a regular file", what, path);
	if (rc)
		return xs_fail(rc, "%s %s: cannot open", what, path);
	return 0;
}

int xs_check_output(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : xs_fail(-errno, "%s %s: cannot stat", what, path);
	if (!S_ISREG(st.st_mode))
		return xs_fail(-EINVAL, "%s %s: not a regular file", what, path);
	return 0;
}

int xs_read_file(const char *what, const char *path, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *data;
	size_t size, done = 0;
	int fd, rc;

	rc = xs_open_file(what, path, &fd, &size);
	if (rc)
		return rc;
	if (size > max) {
		rc = xs_fail(-EFBIG, "%s %s: %zu bytes, over the limit of %zu", what, path, size,
		             max);
		goto out;
	}
	data = malloc(size ? size : 1);
	if (!data) {
		rc = xs_fail(-ENOMEM, "%s %s: cannot allocate %zu bytes", what, path, size);
		goto out;
	}
	while (done < size) {
		ssize_t n = read(fd, data + done, size - done);

		if (n <= 0) {
			rc = xs_fail(n < 0 ? -errno : -EIO, "%s %s: short read", what, path);
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
