/* SPDX-License-Identifier: MIT */
/*
 * One error message per failed operation: set where the cause is known,
 * printed once by the CLI together with strerror of the returned -errno.
 */
#ifndef XS_ERROR_H
#define XS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* Record "fmt..." unless a message is already pending; returns err (a -errno). */
int xs_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, but replaces any pending message (for a better-placed cause). */
int xs_fail_override(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *xs_error_message(void); /* "" when none */
void xs_error_clear(void);

/*
 * Lines that go with the final message (the stacks of the threads an EBUSY
 * names, say): the CLI prints each, after its prefix, before the one error
 * line. xs_error_clear leaves them (it drops passing failures): they are
 * made last, by whoever sets that message. Bounded (lines past the room are
 * dropped, and the last kept says so). No control characters: callers
 * escape what came from the target.
 */
void xs_error_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *xs_error_details(void); /* '\n'-ended lines, "" when none */
void xs_error_details_clear(void);

/*
 * Project error codes, returned negated like an errno, for refusals no errno
 * describes: strerror of ENOEXEC or ENOENT would print "Exec format error"
 * or "No such file or directory" after a build-id mismatch or a missing
 * symbol. Above every errno (as libbpf's LIBBPF_ERRNO__*); xs_strerror gives
 * their text.
 */
enum {
	XS_ERRNO__START = 4000,
	XS_ERRNO__BUILD_ID = XS_ERRNO__START, /* no object in the process has its build-id */
	XS_ERRNO__NO_OBJECT,                  /* the object it patched is gone from the process */
	XS_ERRNO__NO_SYMBOL,                  /* a symbol it needs is not in the process */
	XS_ERRNO__TOOL, /* a program we ran (gcc, ld) said no; its output says why */
	XS_ERRNO__END,
};
/* strerror, knowing the project's codes (err positive, as for strerror). */
const char *xs_strerror(int err);

/*
 * What kind of failure the pending message is, for the CLI's exit code: a
 * refusal (1, the default), a command line not understood (2), or the process
 * busy for now, which the same command may get past later (75, EX_TEMPFAIL):
 * a thread in a function being replaced, another xsplice run holding it.
 */
enum xs_fail_kind { XS_FAIL_REFUSED, XS_FAIL_USAGE, XS_FAIL_BUSY };
/* Like xs_fail_override, and the failure is of that kind. */
int xs_fail_kind(enum xs_fail_kind kind, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum xs_fail_kind xs_error_kind(void); /* XS_FAIL_REFUSED when none */

/* What lines printed as they happen start with: the CLI sets "xsplice: load". */
void xs_set_line_prefix(const char *prefix);
/* Print one line to stderr now, after that prefix: the findings that go with
 * (before) a command's one error line, or warnings of a command that works. */
void xs_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug trace to stderr when XSPLICE_DEBUG is set in the environment. */
void xs_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether XSPLICE_DEBUG is set: for debug output that costs work to gather. */
bool xs_debug_on(void);
/* With XSPLICE_DEBUG: note the time of a step (kept in memory, no system
 * call), and print the steps noted so far as one line, in us after the first. */
void xs_mark(const char *what);
void xs_marks_print(const char *title);

/*
 * Test hook: raise SIGKILL when XSPLICE_TEST_CRASH_AT names this point, as
 * "NAME" (the first time it is passed) or "NAME:N" (the N-th time), so a
 * test can kill the CLI at any one step of a sequence that repeats.
 */
void xs_crash_point(const char *name);

#define XS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define XS_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))

/* In a child, before exec: the signals the CLI blocks or ignores for itself
 * (SIGINT, SIGTERM, ..., SIGPIPE) back to the defaults, which exec keeps;
 * else gcc, make or patch blocked on something could not be interrupted. */
void xs_child_signals(void);

/* Monotonic clock in milliseconds / microseconds / nanoseconds. */
long long xs_now_ms(void);
long long xs_now_us(void);
long long xs_now_ns(void);

/* Open a file the user named, read-only, without ever blocking: O_NONBLOCK
 * so a FIFO or a terminal cannot hold the CLI (whose SIGINT and SIGTERM are
 * blocked), then only a regular file is kept. Quiet: -EINVAL when PATH is not
 * a regular file, else open's or fstat's -errno; size may be NULL. */
int xs_open_regular(const char *path, int *fd, size_t *size);
/* The same, reporting: "<what> <path>: not a regular file" or ": cannot open". */
int xs_open_file(const char *what, const char *path, int *fd, size_t *size);
/* An output path the user named: refused (-EINVAL, reported) when it exists
 * and is not a regular file; writing to a FIFO would block, and a failed
 * build removes what it wrote (think -o /dev/null as root). */
int xs_check_output(const char *what, const char *path);
/* Read a whole regular file into a malloc'd buffer (limit: max bytes); what
 * names it in messages ("payload", "target", ...). */
int xs_read_file(const char *what, const char *path, size_t max, unsigned char **buf, size_t *len);

/* Hex <-> bytes for build-ids. hex must hold 2*len+1. */
void xs_hex(const unsigned char *bytes, size_t len, char *hex);
int xs_unhex(const char *hex, unsigned char *bytes, size_t max, size_t *len);

#endif
