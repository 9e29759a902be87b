/* SPDX-License-Identifier: MIT */
/*
 * Copies of a function's old code (src/symbols/copies.c): builds small programs with
 * gcc -O2 -g (inlined, nested inlined, IPA-CP/IPA-SRA clones, partial
 * inlining, folded constants, noipa) and checks what xs_copies_find reports:
 * kind, caller, source line, clone name; replaced callers and clones left
 * out; the same without DWARF and with a debug file found by build-id; and
 * the clone names .symtab offers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scratch.h"
#include "symbols/copies.h"
#include "common/error.h"
#include "symbols/objects.h"

static char dir[64];

/* checksum() is inlined into serve(), through mid() into top(), and through
 * both into main(). */
static const char srv_c[] = "#include <stdio.h>\n"
                            "int checksum(const char *s, int n)\n"
                            "{\n"
                            "	int sum = 0;\n"
                            "	for (int i = 0; i <= n; i++)\n"
                            "		sum += s[i];\n"
                            "	return sum;\n"
                            "}\n"
                            "void serve(const char *b, int n)\n"
                            "{\n"
                            "	printf(\"%d\\n\", checksum(b, n)); /* line 11 */\n"
                            "}\n"
                            "static void mid(const char *b, int n)\n"
                            "{\n"
                            "	printf(\"mid %d\\n\", checksum(b, n)); /* line 15 */\n"
                            "}\n"
                            "void top(const char *b, int n)\n"
                            "{\n"
                            "	mid(b, n);\n"
                            "}\n"
                            "__attribute__((noipa)) int plain(int x)\n"
                            "{\n"
                            "	return x * 3 + 7;\n"
                            "}\n"
                            "int main(int argc, char **argv)\n"
                            "{\n"
                            "	serve(argv[0], argc);\n"
                            "	top(argv[0], argc);\n"
                            "	return plain(argc);\n"
                            "}\n";

/* Built -O2 -fipa-cp-clone (-O3 does it too): main calls scale.constprop.0 and
 * pick.constprop.0.isra.0. */
static const char clones_c[] =
    "#include <stdio.h>\n"
    "struct big { int a, b, c, d[16]; };\n"
    "volatile int in = 5;\n"
    "__attribute__((noinline)) int scale(int x, int k) { return x * k + (x >> 3) * k; }\n"
    "__attribute__((noinline)) int pick(struct big *s, int unused) { return s->a * 7 + in; }\n"
    "int main(void)\n"
    "{\n"
    "	struct big b = {.a = 2};\n"
    "	for (int i = 0; i < 1000; i++) {\n"
    "		b.a = in;\n"
    "		printf(\"%d %d %d\\n\", scale(in, 3), scale(in + 1, 3), pick(&b, 0)); /* line 11 */\n"
    "	}\n"
    "	return 0;\n"
    "}\n";

/* Partial inlining: lookup()'s head inlined into main, its body lookup.part.0. */
static const char part_c[] =
    "#include <stdio.h>\n"
    "volatile int in = 5;\n"
    "int table[64];\n"
    "int lookup(int k)\n"
    "{\n"
    "	if (__builtin_expect(k < 64, 1))\n"
    "		return table[k];\n"
    "	int r = 0;\n"
    "	for (int i = 0; i < k; i++) { r += i * in; r ^= r >> 3; printf(\"%d\\n\", r); }\n"
    "	for (int i = 0; i < k; i++) { r += i * in; r ^= r >> 5; printf(\"%d\\n\", r); }\n"
    "	return r;\n"
    "}\n"
    "int main(void)\n"
    "{\n"
    "	int s = 0;\n"
    "	for (int i = 0; i < 100; i++)\n"
    "		s += lookup(in + i) + lookup(in * i); /* line 17 */\n"
    "	printf(\"%d\\n\", s);\n"
    "	return 0;\n"
    "}\n";

/* Inlined and folded into constants: no DW_TAG_inlined_subroutine is left. */
static const char fold_c[] =
    "#include <stdio.h>\n"
    "int twice(int x) { return x * 2 + 1; }\n"
    "int use_const(void) { return twice(20); }\n"
    "int use_fold(int x) { return twice(x) + 1; }\n"
    "int main(int c, char **v) { (void)v; printf(\"%d %d\\n\", use_const(), use_fold(c)); return 0; }\n";

/* Symbol names only: which count as copies of f. */
static const char names_s[] =
    "\t.section .note.GNU-stack,\"\",@progbits\n\t.text\n"
    "\t.file \"names.c\"\n"
    "\t.globl f\n\t.type f,@function\nf:\n"
    "\t.type f.localalias,@function\nf.localalias:\n\tret\n\t.size f,1\n\t.size f.localalias,1\n"
    "\t.type f.constprop.0,@function\nf.constprop.0:\tret\n\t.size f.constprop.0,1\n"
    "\t.type f.isra.1,@function\nf.isra.1:\tret\n\t.size f.isra.1,1\n"
    "\t.type f.part.2,@function\nf.part.2:\tret\n\t.size f.part.2,1\n"
    "\t.type f.constprop.0.isra.0,@function\nf.constprop.0.isra.0:\tret\n\t.size f.constprop.0.isra.0,1\n"
    "\t.type f.cold,@function\nf.cold:\tret\n\t.size f.cold,1\n"
    "\t.type f.constprop.0.cold,@function\nf.constprop.0.cold:\tret\n\t.size f.constprop.0.cold,1\n"
    "\t.type f.lto_priv.0,@function\nf.lto_priv.0:\tret\n\t.size f.lto_priv.0,1\n"
    "\t.type fx.constprop.0,@function\nfx.constprop.0:\tret\n\t.size fx.constprop.0,1\n"
    "\t.globl main\n\t.type main,@function\nmain:\txorl %eax, %eax\n\tret\n\t.size main,3\n";

static int build_all(void)
{
	if (write_file(dir, "srv.c", srv_c) || write_file(dir, "clones.c", clones_c) ||
	    write_file(dir, "part.c", part_c) || write_file(dir, "fold.c", fold_c) ||
	    write_file(dir, "names.s", names_s))
		return -1;
	return run(
	    "cd %s && gcc -O2 -g srv.c -o srv && gcc -O2 -fipa-cp-clone -g clones.c -o clones && "
	    "gcc -O2 -g part.c -o part && gcc -O2 -g fold.c -o fold && "
	    "gcc -nostdlib -no-pie -Wl,-e,main names.s -o names && "
	    "objcopy --strip-debug clones clones_nodebug && "
	    "objcopy --only-keep-debug srv srv.debug && objcopy --strip-debug srv srv_stripped && "
	    "id=$(readelf -n srv | sed -n 's/.*Build ID: //p') && mkdir -p dbg/.build-id/${id%%${id#??}} && "
	    "cp srv.debug dbg/.build-id/${id%%${id#??}}/${id#??}.debug",
	    dir);
}

/* --- looking --------------------------------------------------------------------- */

struct found {
	struct xs_object *obj;
	struct xs_copy_func f[4];
	uint64_t rep[4];
	size_t n, nrep;
	struct xs_copies c;
	int rc;
};

/* Copies of the first nfunc of names in prog; every name is replaced. */
static void find(struct found *fd, const char *prog, size_t nfunc, const char *names[])
{
	char path[256];

	memset(fd, 0, sizeof(*fd));
	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	fd->rc = xs_object_open_file(path, &fd->obj);
	for (size_t i = 0; !fd->rc && names[i]; i++) {
		struct xs_symbol_info si;

		fd->rc = xs_object_lookup(fd->obj, names[i], &si);
		if (i < nfunc)
			fd->f[fd->n++] = (struct xs_copy_func){ .name = names[i], .addr = si.addr };
		fd->rep[fd->nrep++] = si.addr;
	}
	if (!fd->rc)
		fd->rc = xs_copies_find(fd->obj, fd->f, fd->n, fd->rep, fd->nrep, &fd->c);
	check(fd->rc == 0, "%s: copies of %s found", prog, names[0]);
	for (size_t i = 0; i < fd->c.n; i++) {
		const struct xs_copy *c = &fd->c.v[i];

		printf("#   %s: kind %d holder %s via %s copy %s at %s:%u%s\n", fd->f[c->func].name,
		       c->kind, c->holder, c->via, c->copy, c->file, c->line,
		       c->maybe ? " (maybe)" : "");
	}
}

static void done(struct found *fd)
{
	xs_copies_free(&fd->c);
	xs_object_free(fd->obj);
	xs_error_clear();
}

static const struct xs_copy *has(const struct found *fd, enum xs_copy_kind kind, const char *holder,
                                 const char *copy, unsigned line)
{
	for (size_t i = 0; i < fd->c.n; i++) {
		const struct xs_copy *c = &fd->c.v[i];

		if (c->kind == kind && (!holder || (c->holder && !strcmp(c->holder, holder))) &&
		    (!copy || (c->copy && !strcmp(c->copy, copy))) && (!line || c->line == line))
			return c;
	}
	return NULL;
}

/* --- the cases ------------------------------------------------------------------- */

static void test_inlined(void)
{
	struct found fd;
	const struct xs_copy *c;

	find(&fd, "srv", 1, (const char *[]){ "checksum", NULL });
	check(fd.c.dwarf != NULL && fd.f[0].described, "srv: DWARF read, checksum described");
	c = has(&fd, XS_COPY_INLINED, "serve", NULL, 11);
	check(c && c->file && !strcmp(c->file, "srv.c") && !c->via,
	      "checksum: inlined into serve at srv.c:11");
	c = has(&fd, XS_COPY_INLINED, "top", NULL, 15);
	check(c && c->via && !strcmp(c->via, "mid"),
	      "checksum: inlined into top through mid at srv.c:15");
	c = has(&fd, XS_COPY_INLINED, "main", NULL, 15);
	check(c && c->via && !strcmp(c->via, "mid, top"),
	      "checksum: inlined into main through mid, top at srv.c:15");
	check(fd.c.n == 3, "exactly those three copies (%zu)", fd.c.n);
	done(&fd);

	/* Replacing serve too takes that copy with it; top and main keep theirs. */
	find(&fd, "srv", 1, (const char *[]){ "checksum", "serve", NULL });
	check(fd.c.n == 2 && !has(&fd, XS_COPY_INLINED, "serve", NULL, 0) && fd.c.skipped == 1,
	      "with serve replaced: top's and main's copies (%zu copies, %zu skipped)", fd.c.n,
	      fd.c.skipped);
	done(&fd);

	find(&fd, "srv", 1, (const char *[]){ "plain", NULL });
	check(fd.c.n == 0 && fd.f[0].described, "plain (noipa): no copy");
	done(&fd);
}

static void test_clones(void)
{
	struct found fd;

	find(&fd, "clones", 2, (const char *[]){ "scale", "pick", NULL });
	check(has(&fd, XS_COPY_CALL, "main", "scale.constprop.0", 11) != NULL,
	      "scale: main calls scale.constprop.0 at clones.c:11");
	check(has(&fd, XS_COPY_CALL, "main", "pick.constprop.0.isra.0", 11) != NULL,
	      "pick: main calls pick.constprop.0.isra.0 at clones.c:11");
	check(fd.c.n == 2, "exactly those two (%zu)", fd.c.n);
	done(&fd);

	/* The clone replaced too: that call goes. */
	find(&fd, "clones", 1, (const char *[]){ "scale", "scale.constprop.0", NULL });
	check(fd.c.n == 0 && fd.c.skipped >= 1, "scale with its clone replaced: no copy (%zu)",
	      fd.c.n);
	done(&fd);

	/* Without DWARF the clones are still seen by name. */
	find(&fd, "clones_nodebug", 2, (const char *[]){ "scale", "pick", NULL });
	check(!fd.c.dwarf && fd.c.no_dwarf && strstr(fd.c.no_dwarf, ".build-id/"),
	      "clones_nodebug: no DWARF, says which debug file it looked for: %s",
	      fd.c.no_dwarf ? fd.c.no_dwarf : "(null)");
	check(has(&fd, XS_COPY_CLONE, NULL, "scale.constprop.0", 0) &&
	          has(&fd, XS_COPY_CLONE, NULL, "pick.constprop.0.isra.0", 0) && fd.c.n == 2,
	      "clones_nodebug: both clones by name (%zu)", fd.c.n);
	check(!fd.f[0].described && !fd.f[1].described, "clones_nodebug: nothing described");
	done(&fd);
}

static void test_part(void)
{
	struct found fd;

	find(&fd, "part", 1, (const char *[]){ "lookup", NULL });
	check(has(&fd, XS_COPY_INLINED, "main", NULL, 17) != NULL,
	      "lookup: its head inlined into main at part.c:17");
	check(
	    has(&fd, XS_COPY_CALL, "main", "lookup.part.0", 17) != NULL,
	    "lookup: main calls lookup.part.0 at part.c:17 (the source call, not the head's line)");
	done(&fd);
}

static void test_folded(void)
{
	struct found fd;
	const struct xs_copy *c;

	find(&fd, "fold", 1, (const char *[]){ "twice", NULL });
	c = has(&fd, XS_COPY_HIDDEN, NULL, NULL, 0);
	check(c && c->file && !strcmp(c->file, "fold.c") && !c->maybe,
	      "twice: inlined where no DIE shows it: one copy for fold.c");
	done(&fd);

	find(&fd, "fold", 1, (const char *[]){ "twice", "use_fold", NULL });
	c = has(&fd, XS_COPY_HIDDEN, NULL, NULL, 0);
	check(c && c->maybe, "with use_fold replaced too: only a 'maybe'");
	done(&fd);
}

static void test_debug_file(void)
{
	char root[128];
	struct found fd;

	snprintf(root, sizeof(root), "%s/dbg", dir);
	setenv("XSPLICE_DEBUG_ROOT", root, 1);
	find(&fd, "srv_stripped", 1, (const char *[]){ "checksum", NULL });
	check(fd.c.dwarf && strstr(fd.c.dwarf, "/dbg/.build-id/"), "srv_stripped: DWARF from %s",
	      fd.c.dwarf ? fd.c.dwarf : "(none)");
	check(has(&fd, XS_COPY_INLINED, "serve", NULL, 11) != NULL,
	      "srv_stripped: checksum inlined into serve at srv.c:11");
	done(&fd);
	unsetenv("XSPLICE_DEBUG_ROOT");
}

struct names {
	char seen[512];
};

static int collect(void *ctx, const char *sym, const char *suffix, uint64_t addr)
{
	struct names *n = ctx;

	(void)addr;
	if (strncmp(sym, "f.", 2) || strcmp(sym + 2, suffix))
		strcat(n->seen, "(bad suffix) ");
	strncat(n->seen, sym, sizeof(n->seen) - strlen(n->seen) - 2);
	strcat(n->seen, " ");
	return 0;
}

static void test_names(void)
{
	struct xs_object *obj = NULL;
	struct xs_symbol_info si = { 0 };
	struct names n = { { 0 } };
	const char *name = NULL;
	struct found fd;
	uint64_t start = 0;
	char path[256], seen[512] = "";
	int rc;

	snprintf(path, sizeof(path), "%s/names", dir);
	rc = xs_object_open_file(path, &obj);
	if (!rc)
		rc = xs_object_each_suffixed(obj, "f", collect, &n);
	check(
	    rc == 0 &&
	        !strcmp(
	            n.seen,
	            "f.localalias f.constprop.0 f.isra.1 f.part.2 f.constprop.0.isra.0 f.cold f.constprop.0.cold f.lto_priv.0 "),
	    "f.* in .symtab: '%s' (not fx.*)", n.seen);
	n.seen[0] = '\0';
	rc = xs_object_each_suffixed(obj, "names.c#f", collect, &n);
	check(rc == 0 && strstr(n.seen, "f.isra.1"), "file-qualified: the locals of names.c: '%s'",
	      n.seen);
	if (!rc)
		rc = xs_object_lookup(obj, "f", &si);
	if (!rc)
		rc = xs_object_func_at(obj, si.addr, &name, &start);
	check(rc == 0 && name && !strcmp(name, "f") && start == si.addr,
	      "the function at f's address is named f, not f.localalias (%s)", name ? name : "-");
	rc = xs_object_func_at(obj, si.addr + 0x100000, &name, &start);
	check(rc == -ENOENT, "no function far away: -ENOENT (%d)", rc);
	xs_object_free(obj);
	xs_error_clear();

	/* Which of them are copies (no DWARF here: by name only). */
	find(&fd, "names", 1, (const char *[]){ "f", NULL });
	for (size_t i = 0; i < fd.c.n; i++) {
		strncat(seen, fd.c.v[i].kind == XS_COPY_CLONE ? fd.c.v[i].copy : "(not a clone)",
		        sizeof(seen) - strlen(seen) - 2);
		strcat(seen, " ");
	}
	check(!strcmp(seen, "f.constprop.0 f.isra.1 f.part.2 f.constprop.0.isra.0 "),
	      "copies of f: '%s' (not .localalias, .cold, .lto_priv)", seen);
	done(&fd);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xs-test-copies-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("XSPLICE_DEBUG_ROOT");
	if (build_all()) {
		check(0, "test programs build in %s", dir);
	} else {
		test_inlined();
		test_clones();
		test_part();
		test_folded();
		test_debug_file();
		test_names();
	}
	run("rm -rf '%s'", dir);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
