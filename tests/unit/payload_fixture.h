/* SPDX-License-Identifier: MIT */
/*
 * Shared by test_payload.c and test_payload_fuzz.c: builds real payloads with
 * gcc and ld -r (as `xsplice cc` does) in a temporary directory.
 * Run from the repository root (include/ is found there, or in $XSPLICE_INCLUDE).
 */
#ifndef XS_TEST_PAYLOAD_FIXTURE_H
#define XS_TEST_PAYLOAD_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

struct fx {
	char dir[64];
	char inc[4096];
};

/* Every command is bounded in time: a hung compiler must not hang the test. */
static int fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fx_sh(const char *fmt, ...)
{
	char cmd[8192], wrapped[8400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(wrapped, sizeof(wrapped), "timeout -k 5 120 sh -c '%s'", cmd);
	return system(wrapped);
}

static int fx_init(struct fx *f)
{
	const char *inc = getenv("XSPLICE_INCLUDE") ? getenv("XSPLICE_INCLUDE") : "include";
	char probe[4200];

	strcpy(f->dir, "/tmp/xs-payload-test-XXXXXX");
	if (!mkdtemp(f->dir)) {
		perror("mkdtemp");
		return -1;
	}
	if (!realpath(inc, f->inc)) {
		fprintf(stderr, "%s: not found: run from the repository root\n", inc);
		return -1;
	}
	snprintf(probe, sizeof(probe), "%s/xsplice/payload.h", f->inc);
	if (access(probe, R_OK)) {
		fprintf(stderr, "%s: not found: run from the repository root\n", probe);
		return -1;
	}
	return 0;
}

static void fx_fini(struct fx *f)
{
	if (f->dir[0] && strncmp(f->dir, "/tmp/xs-payload-test-", 21) == 0)
		fx_sh("rm -rf %s", f->dir);
}

static int fx_write(const struct fx *f, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

/* Assembly for .note.xsplice: one note of type `type` holding `len` bytes. */
static void fx_note_asm(char *out, size_t size, int type, const unsigned char *id, size_t len)
{
	size_t n = snprintf(out, size,
	                    ".section .note.xsplice,\"a\",@note\n.balign 4\n.long 8\n.long %zu\n"
	                    ".long %d\n.asciz \"XSPLICE\"\n.balign 4\n",
	                    len, type);

	for (size_t i = 0; i < len && n < size; i++)
		n += snprintf(out + n, size - n, ".byte 0x%02x\n", id[i]);
	if (n < size)
		snprintf(out + n, size - n, ".balign 4\n.section .note.GNU-stack,\"\",@progbits\n");
}

/*
 * Compile base.c (source), assemble base_note.s (notes, may be NULL), link
 * them into base.xsp with ld -r --build-id plus ldflags. 0 on success.
 */
static int fx_build(const struct fx *f, const char *base, const char *source, const char *notes,
                    const char *cflags, const char *ldflags)
{
	char name[128], notes_obj[300] = "";

	snprintf(name, sizeof(name), "%s.c", base);
	if (fx_write(f, name, source))
		return -1;
	if (fx_sh(
	        "cd %s && gcc -O2 -fPIC -ffunction-sections -fdata-sections -fasynchronous-unwind-tables %s -I%s -c %s.c -o %s.o",
	        f->dir, cflags ? cflags : "", f->inc, base, base))
		return -1;
	if (notes) {
		snprintf(name, sizeof(name), "%s_note.s", base);
		if (fx_write(f, name, notes) ||
		    fx_sh("cd %s && gcc -c -x assembler %s -o %s_note.o", f->dir, name, base))
			return -1;
		snprintf(notes_obj, sizeof(notes_obj), "%s_note.o", base);
	}
	return fx_sh("cd %s && ld -r %s %s.o %s -o %s.xsp 2>/dev/null", f->dir,
	             ldflags ? ldflags : "--build-id=sha1", base, notes_obj, base) ?
	           -1 :
	           0;
}

/* Path of a built file, for xs_payload_open. */
static void fx_path(const struct fx *f, const char *file, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->dir, file);
}

static int fx_read(const struct fx *f, const char *file, unsigned char **buf, size_t *len)
{
	char path[256];

	fx_path(f, file, path, sizeof(path));
	return xs_read_file("file", path, 1u << 30, buf, len);
}

/* The fixture every test starts from: all features the reader decodes. */
static const char fx_good_source[] =
    "#include <xsplice/payload.h>\n"
    "extern int counter;\n"
    "static int state;\n"
    "int data_var = 7;\n"
    "int new_compute(int x) { counter++; state++; return x * 3 + data_var; }\n"
    "int new_parse(const char *s) { return s[0] + 1; }\n"
    "static int on_load(void) { return state; }\n"
    "static int on_pre(void) { return counter; }\n"
    "static int on_post(void) { return data_var; }\n"
    "XSPLICE_REPLACE(compute, new_compute);\n"
    "XSPLICE_REPLACE_LOCAL(\"server.c\", parse, new_parse);\n"
    "XSPLICE_NOP(debug_hook, 5);\n"
    "XSPLICE_REPLACE_EXPECT(checksum, new_compute, 0x55, 0x48, 0x89, 0xe5);\n"
    "XSPLICE_LOAD_HOOK(on_load);\n"
    "XSPLICE_PRE_APPLY_HOOK(on_pre);\n"
    "XSPLICE_PRE_APPLY_HOOK(on_post);\n"
    "XSPLICE_POST_APPLY_HOOK(on_post);\n";

static const unsigned char fx_target_id[20] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
	                                        0xf0, 1,    2,    3,    4,    5,    6,
	                                        7,    8,    9,    10,   11,   12 };

/* Builds good.xsp; returns its bytes (malloc'd). */
static int fx_build_good(const struct fx *f, unsigned char **buf, size_t *len)
{
	char notes[4096];

	fx_note_asm(notes, sizeof(notes), 1, fx_target_id, sizeof(fx_target_id));
	if (fx_build(f, "good", fx_good_source, notes, NULL, NULL))
		return -1;
	return fx_read(f, "good.xsp", buf, len);
}

#endif
