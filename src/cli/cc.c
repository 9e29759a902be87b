/* SPDX-License-Identifier: MIT */
/*
 * `xsplice cc`: building a payload from one C file (compile with the flags
 * payloads need, add the notes naming the target's build-id and the
 * dependency, link with ld -r --build-id, record the target's bytes at each
 * function it patches).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "symbols/expect_record.h"
#include "symbols/inline_check.h"
#include "symbols/objects.h"
#include "payload/payload.h"

/* Flags every payload object needs: position independent (GOT for far data),
 * one section per function, unwind tables so stacks unwind through it. */
static const char *const payload_cflags[] = {
	"-O2",
	"-g",
	"-fPIC",
	"-fno-common",
	"-ffunction-sections",
	"-fdata-sections",
	"-fasynchronous-unwind-tables",
	"-std=gnu11",
};

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return xs_fail(-errno, "cannot start %s", argv[0]);
	if (pid == 0) {
		xs_child_signals();
		execvp(argv[0], argv);
		fprintf(stderr, "xsplice: cc: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return xs_fail(-errno, "waiting for %s", argv[0]);
	if (WIFSIGNALED(status))
		return xs_fail(-EINTR, "%s was killed by SIG%s", argv[0],
		               sigabbrev_np(WTERMSIG(status)) ?: "?");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return xs_fail(-XS_ERRNO__TOOL, "%s failed (status %d)", argv[0],
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* include/ beside the tree the CLI was built in, else an installed one. */
void cli_include_dir(char *buf, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env = getenv("XSPLICE_INCLUDE");

	if (env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%s/../../include/xsplice/payload.h", exe);
		if (access(path, R_OK) == 0) {
			*strrchr(path, '/') = '\0'; /* .../include/xsplice */
			*strrchr(path, '/') = '\0'; /* .../include */
			snprintf(buf, len, "%.*s", (int)(len - 1), path);
			return;
		}
	}
	snprintf(buf, len, "/usr/include");
}

static void emit_note(FILE *f, int type, const struct xs_build_id *id)
{
	fprintf(f, ".balign 4\n.long %zu\n.long %zu\n.long %d\n.asciz \"%s\"\n.balign 4\n",
	        sizeof(XSPLICE_NOTE_NAME), id->len, type, XSPLICE_NOTE_NAME);
	for (size_t i = 0; i < id->len; i++)
		fprintf(f, ".byte 0x%02x\n", id->bytes[i]);
	fprintf(f, ".balign 4\n");
}

static int write_notes(const char *path, const struct xs_build_id *target,
                       const struct xs_build_id *depends)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return xs_fail(-errno, "cannot create %s", path);
	fprintf(f, ".section .note.GNU-stack,\"\",@progbits\n"); /* no executable stack */
	fprintf(f, ".section " XSPLICE_NOTE_SECTION ",\"a\",@note\n");
	emit_note(f, XSPLICE_NOTE_TARGET, target);
	if (depends->len)
		emit_note(f, XSPLICE_NOTE_DEPENDS, depends);
	if (fclose(f))
		return xs_fail(-errno, "cannot write %s", path);
	return 0;
}

struct cc_args {
	const char *target, *target_hex, *out, *depends, *src;
	char **extra;
	int nextra;
	bool allow_inlined;
};

static int compile(const struct cc_args *a, const char *dir, const struct xs_build_id *tid,
                   const struct xs_build_id *did)
{
	char inc[PATH_MAX], incflag[PATH_MAX + 4], obj[PATH_MAX], note_s[PATH_MAX],
	    note_o[PATH_MAX];
	const char *argv[64];
	int n = 0, rc;

	cli_include_dir(inc, sizeof(inc));
	snprintf(incflag, sizeof(incflag), "-I%s", inc);
	snprintf(obj, sizeof(obj), "%s/payload.o", dir);
	snprintf(note_s, sizeof(note_s), "%s/note.s", dir);
	snprintf(note_o, sizeof(note_o), "%s/note.o", dir);

	argv[n++] = "gcc";
	for (size_t i = 0; i < XS_ARRAY_SIZE(payload_cflags); i++)
		argv[n++] = payload_cflags[i];
	argv[n++] = incflag;
	for (int i = 0; i < a->nextra && n < 50; i++)
		argv[n++] = a->extra[i];
	argv[n++] = "-c";
	argv[n++] = a->src;
	argv[n++] = "-o";
	argv[n++] = obj;
	argv[n] = NULL;
	rc = run((char *const *)argv);
	if (rc)
		return xs_fail(rc, "compiling %s", a->src);
	rc = write_notes(note_s, tid, did);
	if (!rc)
		rc = run(
		    (char *const[]){ "gcc", "-c", "-x", "assembler", note_s, "-o", note_o, NULL });
	if (!rc)
		rc = run((char *const[]){ "ld", "-r", "--build-id=sha1", obj, note_o, "-o",
		                          (char *)a->out, NULL });
	return rc;
}

static int parse_cc(int argc, char **argv, struct cc_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			a->extra = &argv[i + 1];
			a->nextra = argc - i - 1;
			break;
		}
		if (i + 1 < argc && !strcmp(argv[i], "--target"))
			a->target = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--target-build-id"))
			a->target_hex = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "-o"))
			a->out = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--depends"))
			a->depends = argv[++i];
		else if (!strcmp(argv[i], "--allow-inlined"))
			a->allow_inlined = true;
		else if (argv[i][0] != '-' && !a->src)
			a->src = argv[i];
		else
			return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "unexpected argument '%s'",
			                    argv[i]);
	}
	if (!a->src || !a->out || (!a->target == !a->target_hex))
		return xs_fail_kind(
		    XS_FAIL_USAGE, -EINVAL,
		    "usage: xsplice cc --target BIN|--target-build-id HEX -o OUT.xsp FILE.c [--depends DEP.xsp] [--allow-inlined] [-- CFLAGS...]");
	return 0;
}

/*
 * The copies check against the target file (upload repeats it against the
 * process). A function not found here is left to upload to refuse by name.
 */
static int check_copies(const struct cc_args *a, const struct xs_payload *p)
{
	const char **names = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*names));
	uint64_t *addrs = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*addrs));
	struct xs_object *obj = NULL;
	size_t n = 0;
	int rc = names && addrs ? xs_object_open_file(a->target, &obj) :
	                          xs_fail(-ENOMEM, "%s: no memory", a->out);

	for (size_t i = 0; !rc && i < p->nfuncs; i++) {
		struct xs_symbol_info si;

		if (p->funcs[i].old_addr) {
			addrs[n] = p->funcs[i].old_addr;
		} else if (xs_object_lookup(obj, p->funcs[i].name, &si) == 0) {
			addrs[n] = si.addr;
		} else {
			xs_error_clear();
			continue;
		}
		names[n++] = p->funcs[i].name;
	}
	if (!rc)
		rc = xs_inline_check(obj, a->out, names, addrs, n, a->allow_inlined);
	xs_object_free(obj);
	free(names);
	free(addrs);
	return rc;
}

int cmd_cc(int argc, char **argv)
{
	struct cc_args a = { 0 };
	struct xs_build_id tid = { 0 }, did = { 0 };
	struct xs_payload *check = NULL;
	const char *tmp = getenv("TMPDIR");
	char dir[1024];
	int fd, rc = parse_cc(argc, argv, &a);

	/* gcc would block on a FIFO, with the SIGINT we block blocked too */
	if (!rc && !(rc = xs_open_file("source", a.src, &fd, NULL)))
		close(fd);
	if (!rc)
		rc = xs_check_output("output", a.out);
	if (rc)
		return rc;
	if (a.target)
		rc = xs_file_build_id(a.target, &tid);
	else if (xs_unhex(a.target_hex, tid.bytes, sizeof(tid.bytes), &tid.len))
		rc = xs_fail(-EINVAL, "--target-build-id '%s' is not hex", a.target_hex);
	if (!rc && a.depends) {
		struct xs_payload *dep;

		rc = xs_payload_open(a.depends, &dep);
		if (!rc) {
			did = dep->build_id;
			xs_payload_free(dep);
		}
	}
	if (rc)
		return rc;
	/* The intermediate files go where the user keeps temporary files. */
	if (!tmp || !tmp[0])
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/xsplice-cc.XXXXXX", tmp) >= sizeof(dir))
		return xs_fail(-ENAMETOOLONG, "TMPDIR %s: too long", tmp);
	if (!mkdtemp(dir))
		return xs_fail(-errno, "cannot create a temporary directory in %s (TMPDIR)", tmp);
	rc = compile(&a, dir, &tid, &did);
	run((char *const[]){ "rm", "-rf", dir, NULL });
	/* What the target has at each function, so check and apply can refuse
	 * a process whose code there is anything else. */
	if (!rc && a.target)
		rc = xs_expect_record(a.out, a.target);
	else if (!rc)
		xs_note(
		    "warning: %s: no --target file: the bytes each function it patches must hold cannot be recorded, so check and apply will not compare them",
		    a.out);
	if (!rc)
		rc = xs_payload_open(a.out, &check); /* refuse to leave a payload we would refuse */
	if (!rc && a.target)
		rc = check_copies(&a, check);
	if (rc) {
		xs_payload_free(check);
		unlink(a.out);
		return rc;
	}
	printf("%s: %zu function(s), for build-id ", a.out, check->nfuncs);
	for (size_t i = 0; i < tid.len; i++)
		printf("%02x", tid.bytes[i]);
	printf("\n");
	xs_payload_free(check);
	return 0;
}
