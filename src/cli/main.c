/* SPDX-License-Identifier: MIT */
/*
 * xsplice: the toolstack side of live patching. One table of commands; each
 * handler parses its arguments and calls the engine; errors are printed once,
 * here, as "xsplice: <command>: <message>: <strerror>".
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "common/error.h"
#include "common/json.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *usage; /* its options are read from here: "--timeout MS" takes a value */
	const char *desc;  /* one line, for help */
	bool retry;        /* takes --retry N: main runs it again while the process is busy */
};

/* A whole decimal number from 1 to max: digits only (no sign, space, exponent
 * or suffix) and no overflow. */
static bool parse_count(const char *arg, long max, long *out)
{
	char *end;
	long v;

	if (arg[0] < '0' || arg[0] > '9')
		return false;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return false;
	*out = v;
	return true;
}

int cli_parse_pid(const char *arg, pid_t *pid)
{
	long v;

	if (!parse_count(arg, 0x3fffffff, &v))
		return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "'%s' is not a process id", arg);
	*pid = (pid_t)v;
	return 0;
}

const char *cli_take_option(int *argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], name))
			continue;
		const char *v = argv[i + 1];

		memmove(&argv[i], &argv[i + 2], (*argc - i - 2) * sizeof(*argv));
		*argc -= 2;
		return v;
	}
	return NULL;
}

bool cli_take_flag(int *argc, char **argv, const char *name)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], name))
			continue;
		memmove(&argv[i], &argv[i + 1], (*argc - i - 1) * sizeof(*argv));
		(*argc)--;
		return true;
	}
	return false;
}

static const struct command *current; /* the command main runs */

/* Its usage line from the table, which also names the options main takes. */
static int usage_error(void)
{
	return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "usage: xsplice %s", current->usage);
}

static int take_timeout(int *argc, char **argv, long *ms)
{
	const char *v = cli_take_option(argc, argv, "--timeout");

	*ms = XS_DEFAULT_TIMEOUT_MS;
	if (!v || parse_count(v, XS_MAX_TIMEOUT_MS, ms))
		return 0;
	return xs_fail_kind(XS_FAIL_USAGE, -EINVAL,
	                    "usage: --timeout '%s': milliseconds, a whole number from 1 to %ld", v,
	                    XS_MAX_TIMEOUT_MS);
}

/* One line on success, so a log of commands reads as what happened. */
static int done(int rc, const char *id, const char *what, pid_t pid)
{
	if (!rc)
		printf("%s: %s pid %d\n", id, what, pid);
	return rc;
}

static unsigned take_upload_flags(int *argc, char **argv)
{
	return cli_take_flag(argc, argv, "--allow-inlined") ? XS_ALLOW_INLINED : 0;
}

static int cmd_upload(int argc, char **argv)
{
	unsigned flags = take_upload_flags(&argc, argv);
	pid_t pid;

	if (argc != 4)
		return usage_error();
	return cli_parse_pid(argv[1], &pid) ?:
	           done(xs_upload(pid, argv[2], argv[3], flags), argv[2], "uploaded to", pid);
}

/* check and unload: PID ID */
static int pid_id(int argc, char **argv, pid_t *pid)
{
	if (argc != 3)
		return usage_error();
	return cli_parse_pid(argv[1], pid);
}

static int cmd_check(int argc, char **argv)
{
	pid_t pid;

	return pid_id(argc, argv, &pid) ?: done(xs_check(pid, argv[2]), argv[2], "checked in", pid);
}

static int cmd_unload(int argc, char **argv)
{
	pid_t pid;

	return pid_id(argc, argv, &pid) ?:
	           done(xs_unload(pid, argv[2]), argv[2], "unloaded from", pid);
}

static int timed(int argc, char **argv, int (*fn)(pid_t, const char *, long), const char *what)
{
	long ms;
	pid_t pid;
	int rc = take_timeout(&argc, argv, &ms);

	if (!rc)
		rc = pid_id(argc, argv, &pid);
	return rc ?: done(fn(pid, argv[2], ms), argv[2], what, pid);
}

static int cmd_apply(int argc, char **argv)
{
	return timed(argc, argv, xs_apply, "applied to");
}

static int cmd_revert(int argc, char **argv)
{
	return timed(argc, argv, xs_revert, "reverted in");
}

static int cmd_replace(int argc, char **argv)
{
	return timed(argc, argv, xs_replace, "replaced every applied payload in");
}

static int cmd_load(int argc, char **argv)
{
	const char *id = cli_take_option(&argc, argv, "--id");
	unsigned flags = take_upload_flags(&argc, argv);
	char base[XS_ID_MAX + 8];
	long ms;
	pid_t pid;
	int rc = take_timeout(&argc, argv, &ms);

	if (!rc && argc != 3)
		rc = usage_error();
	if (!rc)
		rc = cli_parse_pid(argv[1], &pid);
	if (rc)
		return rc;
	if (!id) { /* the file's base name without .xsp */
		const char *slash = strrchr(argv[2], '/');
		char *dot;

		snprintf(base, sizeof(base), "%s", slash ? slash + 1 : argv[2]);
		dot = strrchr(base, '.');
		if (dot && !strcmp(dot, ".xsp"))
			*dot = '\0';
		id = base;
	}
	rc = xs_load(pid, id, argv[2], ms, flags);
	return done(rc, id, "applied to", pid);
}

static void print_hex_field(const char *key, const struct xs_build_id *id)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];

	xs_hex(id->bytes, id->len, hex);
	printf("%s: %s\n", key, id->len ? hex : "-");
}

/* The fields list --json and get --json share. id and object are fixed-size
 * arrays in the target's memory: bounded, whatever is (or is not) there.
 * funcs NULL: they could not be read ("funcs":null). */
static void payload_json(const struct xs_state_payload *p, const struct xs_func_view *funcs)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];

	putchar('{');
	xs_json_strn("id", p->id, sizeof(p->id));
	putchar(',');
	xs_json_str("status", xs_status_name(p->status));
	printf(",\"rc\":%d,", p->rc);
	if (funcs)
		cli_funcs_json(funcs, p->nfuncs);
	else
		printf("\"funcs\":null");
	putchar(',');
	xs_hex(p->target_id.bytes, p->target_id.len, hex);
	printf("\"target\":\"%s\",", hex);
	xs_json_strn("object", p->object, sizeof(p->object));
	putchar(',');
	xs_hex(p->build_id.bytes, p->build_id.len, hex);
	printf("\"build_id\":\"%s\",", hex);
	xs_hex(p->depends_id.bytes, p->depends_id.len, hex);
	printf(p->depends_id.len ? "\"depends\":\"%s\"" : "\"depends\":null", hex);
}

static void get_text(const struct xs_state *st, const struct xs_state_payload *p,
                     const struct xs_func_view *funcs)
{
	printf("id: %.*s\nstatus: %s\nrc: %d\nfuncs: %u\n", (int)sizeof(p->id), p->id,
	       xs_status_name(p->status), p->rc, p->nfuncs);
	print_hex_field("target", &p->target_id);
	printf("object: ");
	xs_text_safe(stdout, p->object, sizeof(p->object));
	putchar('\n');
	print_hex_field("build-id", &p->build_id);
	print_hex_field("depends", &p->depends_id);
	printf("address: 0x%llx-0x%llx\nversion: %u\n", (unsigned long long)p->base,
	       (unsigned long long)(p->base + p->size), st->version);
	for (uint32_t f = 0; f < p->nfuncs; f++) {
		printf("func: ");
		xs_text_safe(stdout, funcs[f].old, SIZE_MAX);
		putchar('\n');
	}
}

static void get_json(const struct xs_state *st, const struct xs_state_payload *p,
                     const struct xs_func_view *funcs)
{
	payload_json(p, funcs);
	printf(",\"address\":\"0x%llx-0x%llx\",\"version\":%u}\n", (unsigned long long)p->base,
	       (unsigned long long)(p->base + p->size), st->version);
}

static int cmd_get(int argc, char **argv)
{
	bool json = cli_take_flag(&argc, argv, "--json");
	struct xs_state *st = malloc(sizeof(*st));
	struct xs_func_view *funcs = NULL;
	pid_t pid;
	int rc = pid_id(argc, argv, &pid);

	if (!st)
		return xs_fail(-ENOMEM, "no memory");
	if (!rc)
		rc = xs_snapshot(pid, st);
	for (int i = 0; !rc && i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &st->payloads[i];

		if (!p->used || strncmp(p->id, argv[2], sizeof(p->id)) ||
		    strlen(argv[2]) >= sizeof(p->id))
			continue;
		rc = xs_payload_funcs(pid, p, &funcs);
		if (rc)
			break;
		if (json)
			get_json(st, p, funcs);
		else
			get_text(st, p, funcs);
		xs_func_views_free(funcs, p->nfuncs);
		free(st);
		return 0;
	}
	if (!rc)
		rc = xs_fail(-ENOENT, "pid %d: no payload '%s'", pid, argv[2]);
	free(st);
	return rc;
}

static void list_json(pid_t pid, const struct xs_state *st)
{
	bool first = true;

	printf("{\"version\":%u,\"payloads\":[", st->version);
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &st->payloads[i];
		struct xs_func_view *funcs = NULL;

		if (!p->used)
			continue;
		if (!first)
			putchar(',');
		/* One payload whose table cannot be read does not hide the others. */
		if (xs_payload_funcs(pid, p, &funcs))
			xs_error_clear();
		payload_json(p, funcs);
		xs_func_views_free(funcs, funcs ? p->nfuncs : 0);
		putchar('}');
		first = false;
	}
	printf("]}\n");
}

static int cmd_list(int argc, char **argv)
{
	bool json = cli_take_flag(&argc, argv, "--json"), running;
	struct xs_state *st;
	pid_t pid;
	int rc;

	if (argc != 2)
		return usage_error();
	rc = cli_parse_pid(argv[1], &pid);
	if (rc)
		return rc;
	st = malloc(sizeof(*st));
	if (!st)
		return xs_fail(-ENOMEM, "no memory");
	rc = xs_snapshot(pid, st);
	if (!rc && json)
		list_json(pid, st);
	else if (!rc) {
		printf("%-20s %-9s %4s %6s %s\n", "ID", "STATUS", "RC", "FUNCS", "OBJECT");
		for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
			const struct xs_state_payload *p = &st->payloads[i];

			if (!p->used)
				continue;
			printf("%-20.*s %-9s %4d %6u ", (int)sizeof(p->id), p->id,
			       xs_status_name(p->status), p->rc, p->nfuncs);
			xs_text_safe(stdout, p->object, sizeof(p->object));
			putchar('\n');
		}
	}
	if (!rc && xs_interrupted(st, &running))
		fprintf(
		    stderr,
		    running ?
		        "xsplice: list: an action by xsplice pid %d is in progress\n" :
		        "xsplice: list: an action by xsplice pid %d was cut short: 'xsplice recover %d' (or any change) undoes it\n",
		    st->journal.owner, pid);
	free(st);
	return rc;
}

static int cmd_recover(int argc, char **argv)
{
	pid_t pid;
	int rc;

	if (argc != 2)
		return usage_error();
	rc = cli_parse_pid(argv[1], &pid);
	return rc ? rc : xs_recover(pid);
}

static const struct command commands[] = {
	{ "build", cmd_build,
	  "build --src DIR --patch FIX.diff --target BIN (-o OUT.xsp | --id NAME) [--build CMD] [--work DIR] [--keep] [--allow-layout T,...] [--skip FUNC]... [--include FUNC]... [--cache DIR [--cache-keep N]]",
	  "build payloads from a source diff, one per changed object (main and constructors, run at start-up, left out unless --include names them)",
	  false },
	{ "cc", cmd_cc,
	  "cc --target BIN|--target-build-id HEX -o OUT.xsp FILE.c [--depends DEP.xsp] [--allow-inlined] [-- CFLAGS...]",
	  "compile a payload from C for the binary BIN", false },
	{ "info", cmd_info, "info FILE.xsp [--json]",
	  "what a payload patches, its build-ids, dependency and hooks", false },
	{ "upload", cmd_upload, "upload PID ID FILE.xsp [--allow-inlined]",
	  "load a payload into the process as ID (status LOADED)", false },
	{ "list", cmd_list, "list PID [--json]", "the payloads in the process, one row each",
	  false },
	{ "get", cmd_get, "get PID ID [--json]", "one payload's fields, one 'key: value' line each",
	  false },
	{ "check", cmd_check, "check PID ID", "check that payload ID fits the process (CHECKED)",
	  false },
	{ "apply", cmd_apply, "apply PID ID [--timeout MS] [--retry N]",
	  "switch the process to payload ID's code (APPLIED)", true },
	{ "revert", cmd_revert, "revert PID ID [--timeout MS] [--retry N]",
	  "switch back from the most recently applied payload (REVERTED)", true },
	{ "unload", cmd_unload, "unload PID ID", "free a payload that is not applied", false },
	{ "replace", cmd_replace, "replace PID ID [--timeout MS] [--retry N]",
	  "revert every applied payload and apply ID in one stop", true },
	{ "recover", cmd_recover, "recover PID", "undo an action a killed xsplice left half done",
	  false },
	{ "load", cmd_load,
	  "load PID FILE.xsp [--id ID] [--timeout MS] [--retry N] [--allow-inlined]",
	  "upload, check and apply in one go", true },
	{ "build-id", cmd_build_id, "build-id PID|FILE",
	  "the build-id of the process's executable or of an ELF file", false },
};

static void usage(FILE *out)
{
	fprintf(out, "usage:\n");
	for (size_t i = 0; i < XS_ARRAY_SIZE(commands); i++)
		fprintf(out, "  xsplice %s\n", commands[i].usage);
	fprintf(out, "  xsplice help [COMMAND]\n  xsplice --version\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < XS_ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void command_help(const struct command *c)
{
	printf("usage: xsplice %s\n%s\n", c->usage, c->desc);
}

/*
 * Whether c's usage line names the option opt (its first len bytes): a word
 * starting with '-', and it takes a value when the next word is in capitals
 * ("--timeout MS", "-o OUT.xsp", "--target BIN|--target-build-id HEX").
 */
static bool known_option(const struct command *c, const char *opt, size_t len, bool *value)
{
	const char *u = c->usage, *sep = " |[]()";

	while (*u) {
		size_t n = strcspn(u, sep);

		if (n == len && !strncmp(u, opt, len)) {
			const char *next = u + n + strspn(u + n, sep);

			*value = *next >= 'A' && *next <= 'Z';
			return true;
		}
		u += n;
		u += strspn(u, sep);
	}
	return false;
}

/*
 * The arguments as the handlers take them: "--opt=value" split in two, and
 * every "--word" one of the command's options (else the handler could take
 * it for a file or an id). Nothing is looked at after a "--" (cc's CFLAGS).
 * out holds argc * 2 + 1 pointers.
 */
static int normalize_args(const struct command *c, int argc, char **argv, int *nout, char **out)
{
	int n = 0, i;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		bool value = false;

		if (i == 0 || a[0] != '-' || !a[1] ||
		    (a[1] != '-' && !known_option(c, a, len, &value))) {
			out[n++] = argv[i]; /* a word, or "-5" (a pid the handler refuses) */
			continue;
		}
		if (!known_option(c, a, len, &value))
			return xs_fail_kind(XS_FAIL_USAGE, -EINVAL,
			                    "unknown option '%.*s'; usage: xsplice %s", (int)len, a,
			                    c->usage);
		if (eq && !value)
			return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "option '%.*s' takes no value",
			                    (int)len, a);
		if (eq) { /* split in place: argv's strings are ours to change */
			argv[i][len] = '\0';
			out[n++] = argv[i];
			out[n++] = argv[i] + len + 1;
		} else {
			out[n++] = argv[i];
			if (value && i + 1 < argc)
				out[n++] = argv[++i]; /* its value, whatever it looks like */
		}
	}
	for (; i < argc; i++)
		out[n++] = argv[i];
	out[n] = NULL;
	*nout = n;
	return 0;
}

/* --retry N: how many more times to run a command while the process is busy. */
static int take_retry(int *argc, char **argv, long *retries)
{
	const char *v = cli_take_option(argc, argv, "--retry");

	*retries = 0;
	if (!v || parse_count(v, 1000, retries))
		return 0;
	return xs_fail_kind(XS_FAIL_USAGE, -EINVAL,
	                    "usage: --retry '%s': a whole number from 1 to 1000", v);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Run c, again while it fails because the process is busy (EX_TEMPFAIL) and
 * --retry allows, after 100 ms, 200 ms, ... at most 2 s; one line each.
 * The handlers take their options out of argv: each try gets a fresh copy.
 */
static int run_command(const struct command *c, int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	long retries = 0, pause = 100;
	int rc = copy ? 0 : xs_fail(-ENOMEM, "no memory");

	if (!rc && c->retry)
		rc = take_retry(&argc, argv, &retries);
	for (long try = 0; !rc; try++) {
		memcpy(copy, argv, ((size_t)argc + 1) * sizeof(*copy));
		rc = c->run(argc, copy);
		if (!rc || xs_error_kind() != XS_FAIL_BUSY || try >= retries)
			break;
		xs_note("%s: %s; retry %ld of %ld in %ld ms", xs_error_message(), xs_strerror(-rc),
		        try + 1, retries, pause);
		xs_error_clear();
		xs_error_details_clear(); /* the stacks go with the last try's line only */
		sleep_ms(pause);
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
		fflush(stdout);
		rc = 0;
	}
	free(copy);
	return rc;
}

static int help(int argc, char **argv)
{
	const struct command *c = argc > 2 ? find_command(argv[2]) : NULL;

	if (argc == 2) {
		usage(stdout);
		return 0;
	}
	if (c && argc == 3) {
		command_help(c);
		return 0;
	}
	fprintf(stderr,
	        argc > 3 ? "xsplice: help: usage: xsplice help [COMMAND]\n" :
	                   "xsplice: help: unknown command '%s'\n",
	        argv[2]);
	return 2;
}

/* The exit codes: 0 done, 1 refused, 2 usage, 75 (EX_TEMPFAIL) busy for now. */
static int exit_code(int rc)
{
	static const int codes[] = {
		[XS_FAIL_REFUSED] = 1, [XS_FAIL_USAGE] = 2, [XS_FAIL_BUSY] = 75
	};

	return rc ? codes[xs_error_kind()] : 0;
}

int main(int argc, char **argv)
{
	char **args;
	int nargs = 0, rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("xsplice %s\n", XS_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc, argv);
	current = find_command(argv[1]);
	if (!current) {
		fprintf(stderr, "xsplice: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			command_help(current);
			return 0;
		}
	/* Ctrl-C waits for the action (bounded by its timeout) instead of leaving
	 * threads with injected registers; SIGKILL is left to the journal. */
	sigset_t hold;

	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigprocmask(SIG_BLOCK, &hold, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Unwinding runs while the target is stopped: never wait on the network. */
	unsetenv("DEBUGINFOD_URLS");

	char prefix[64];

	snprintf(prefix, sizeof(prefix), "xsplice: %s", current->name);
	xs_set_line_prefix(prefix);
	args = calloc((size_t)argc * 2 + 1, sizeof(*args));
	rc = args ? normalize_args(current, argc - 1, argv + 1, &nargs, args) :
	            xs_fail(-ENOMEM, "no memory");
	if (!rc)
		rc = run_command(current, nargs, args);
	if (rc) {
		const char *msg = xs_error_message(), *d = xs_error_details();

		/* What goes with it first (stacks of busy threads): the error line stays last. */
		while (*d) {
			size_t n = strcspn(d, "\n");

			fprintf(stderr, "xsplice: %s: ", current->name);
			xs_text_safe(stderr, d, n);
			fputc('\n', stderr);
			d += n + (d[n] == '\n');
		}
		fprintf(stderr, "xsplice: %s: %s%s%s\n", current->name, msg, msg[0] ? ": " : "",
		        xs_strerror(-rc));
	}
	free(args);
	return exit_code(rc);
}
