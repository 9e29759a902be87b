/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the patch builder's pure parts: name stems, the object writer
 * (write, read back), and the diff on small objects compiled with gcc
 * (changed / new / unchanged functions, renamed statics, data refusals),
 * and when the code of a changed function comes from its GOT build.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/build.h"
#include "common/error.h"
#include "scratch.h"

static int failures;
static char dir[] = "/tmp/xs-test-build.XXXXXX";

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		printf("%s: ", (cond) ? "ok" : "FAIL");                                            \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!(cond))                                                                       \
			failures++;                                                                \
	} while (0)

static void test_stems(void)
{
	CHECK(xb_stem_len("count.12") == 5, "stem of count.12 is count");
	CHECK(xb_stem_len("foo.part.0") == 8, "stem of foo.part.0 is foo.part");
	CHECK(xb_stem_len("foo.cold") == 8, "foo.cold has no numeric suffix");
	CHECK(xb_stem_len("x86") == 3, "x86 keeps its digits (no dot)");
	CHECK(xb_same_stem("counter.0", "counter.1"), "counter.0 and counter.1 share a stem");
}

static void test_writer(void)
{
	GElf_Shdr sh = { .sh_type = SHT_PROGBITS,
		         .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		         .sh_addralign = 16,
		         .sh_size = 8 };
	static const unsigned char code[8] = { 0xe8, 0, 0, 0, 0, 0xc3, 0x90, 0x90 };
	char path[64];
	struct xb_writer *w;
	struct xb_obj *o = NULL;
	unsigned sec, fn, ext;
	int rc;

	snprintf(path, sizeof(path), "%s/w.o", dir);
	rc = xbw_new(&w);
	sec = xbw_section(w, ".text.f", &sh, code);
	ext = xbw_undef(w, "main.c#helper", STB_GLOBAL);
	fn = xbw_symbol(w, "f", STB_LOCAL, STT_FUNC, sec, 0, 6);
	CHECK(xbw_undef(w, "main.c#helper", STB_GLOBAL) == ext, "one undefined symbol per name");
	if (!rc)
		rc = xbw_reloc(w, sec, 1, R_X86_64_PLT32, ext, -4);
	if (!rc)
		rc = xbw_write(w, path);
	xbw_free(w);
	CHECK(rc == 0 && fn, "writer writes %s (rc %d)", path, rc);
	rc = xb_obj_open(path, &o);
	CHECK(rc == 0, "written object reads back (rc %d: %s)", rc, xs_error_message());
	if (rc)
		return;
	CHECK(o->sec[1].sh.sh_size == 8 && !memcmp(o->sec[1].data, code, 8), "section bytes kept");
	CHECK(o->sec[1].nrel == 1 && o->sec[1].rel[0].off == 1 && o->sec[1].rel[0].addend == -4,
	      "relocation kept");
	if (o->sec[1].nrel == 1) {
		const struct xb_sym *s = &o->sym[o->sec[1].rel[0].sym];

		CHECK(!strcmp(s->name, "main.c#helper") && s->s.st_shndx == SHN_UNDEF &&
		          s->bind == STB_GLOBAL,
		      "relocation names main.c#helper, undefined global");
	}
	CHECK(o->sec[1].func && !strcmp(o->sym[o->sec[1].func].name, "f"), "function f found");
	xb_obj_free(o);
}

/* Compile src as dir/sub/x.c to dir/sub/x.o the way the builder's wrapper does
 * (same file name before and after, as in the two trees). */
static int compile(const char *sub, const char *src)
{
	char c[128], cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", dir, sub);
	if (system(cmd))
		return -EINVAL;
	snprintf(c, sizeof(c), "%s/%s/x.c", dir, sub);
	f = fopen(c, "w");
	if (!f)
		return -errno;
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "cd %s/%s && gcc -O2 -c -ffunction-sections -fdata-sections x.c -o x.o", dir, sub);
	return system(cmd) ? -EINVAL : 0;
}

#define BASE                                                                                       \
	"int g = 1;\n"                                                                             \
	"static __attribute__((noinline)) int bump(void) { static int count; return count += g; }\n"

static int diff_of(const char *a, const char *b, struct xb_pair *p)
{
	char pa[128], pb[128];

	memset(p, 0, sizeof(*p));
	p->rel_path = "x.o";
	if (compile("a", a) || compile("b", b))
		return -EINVAL;
	snprintf(pa, sizeof(pa), "%s/a/x.o", dir);
	snprintf(pb, sizeof(pb), "%s/b/x.o", dir);
	if (xb_obj_open(pa, &p->orig) || xb_obj_open(pb, &p->patched))
		return -EINVAL;
	xs_error_clear();
	return xb_diff(p);
}

static enum xb_state state_of(const struct xb_pair *p, const char *fn)
{
	for (size_t i = 1; i < p->patched->nsec; i++) {
		const struct xb_sec *s = &p->patched->sec[i];

		if (s->func && !strcmp(p->patched->sym[s->func].name, fn))
			return s->state;
	}
	return (enum xb_state) - 1;
}

static void free_pair(struct xb_pair *p)
{
	xb_obj_free(p->orig);
	xb_obj_free(p->patched);
}

static void test_diff(void)
{
	struct xb_pair p;
	int rc;

	rc = diff_of(
	    BASE "int f(void) { return bump() + 1; }\nint h(void) { return 7; }\n",
	    "int g = 1;\n"
	    "static __attribute__((noinline)) int ping(void) { static int count; return count += 2; }\n"
	    "static __attribute__((noinline)) int bump(void) { static int count; return count += g; }\n"
	    "int f(void) { return bump() + ping() + 2; }\nint h(void) { return 7; }\n",
	    &p);
	CHECK(rc == 0, "diff runs (rc %d: %s)", rc, xs_error_message());
	CHECK(state_of(&p, "f") == XB_CHANGED, "f changed");
	CHECK(state_of(&p, "h") == XB_SAME, "h unchanged");
	CHECK(state_of(&p, "ping") == XB_NEW, "ping new");
	CHECK(state_of(&p, "bump") == XB_SAME, "bump unchanged though its count.0 is now count.1");
	CHECK(p.nchanged == 1 && p.nnew == 1, "1 changed, 1 new (got %zu, %zu)", p.nchanged,
	      p.nnew);
	free_pair(&p);

	rc = diff_of(BASE "const char *s(void) { return \"old\"; }\n",
	             BASE "const char *s(void) { return \"new\"; }\n", &p);
	CHECK(rc == 0 && state_of(&p, "s") == XB_CHANGED, "a changed string literal changes s");
	free_pair(&p);

	rc = diff_of(
	    BASE "int f(void) { return bump(); }\n",
	    "int g = 2;\n"
	    "static __attribute__((noinline)) int bump(void) { static int count; return count += g; }\n"
	    "int f(void) { return bump(); }\n",
	    &p);
	CHECK(rc == -EOPNOTSUPP && strstr(xs_error_message(), "g: initial value"),
	      "changed initial value refused: %s", xs_error_message());
	free_pair(&p);

	rc = diff_of(BASE "long arr[2];\nlong f(void) { return arr[1]; }\n",
	             BASE "long arr[3];\nlong f(void) { return arr[1]; }\n", &p);
	CHECK(rc == -EOPNOTSUPP && strstr(xs_error_message(), "arr: existing data changes size"),
	      "changed size refused: %s", xs_error_message());
	free_pair(&p);
}

/* The changed function's section in p's patched object, or NULL. */
static const struct xb_sec *sec_of(const struct xb_pair *p, const char *fn)
{
	for (size_t i = 1; i < p->patched->nsec; i++) {
		const struct xb_sec *s = &p->patched->sec[i];

		if (s->func && !strcmp(p->patched->sym[s->func].name, fn))
			return s;
	}
	return NULL;
}

/* Whether fn's code in p's patched object reaches sym through the GOT. */
static bool via_got(const struct xb_pair *p, const char *fn, const char *sym)
{
	const struct xb_sec *s = sec_of(p, fn);

	for (size_t k = 0; s && k < s->nrel; k++)
		if (!strcmp(p->patched->sym[s->rel[k].sym].name, sym))
			return s->rel[k].type == R_X86_64_REX_GOTPCRELX ||
			       s->rel[k].type == R_X86_64_GOTPCREL;
	return false;
}

/* diff_of, then the patched build's compile record for b/x.o (that
 * compiles got, as g.c) and the GOT build made from it. */
static int diff_with_got(const char *a, const char *b, const char *got, struct xb_pair *p)
{
	char path[128], cmd[256];
	int rc = diff_of(a, b, p), n;
	FILE *f;

	if (rc)
		return rc;
	if (write_file(dir, "b/g.c", got))
		return -EIO;
	snprintf(path, sizeof(path), "%s/b/x.o.xsgot.cmd", dir);
	n = snprintf(cmd, sizeof(cmd), "%s/b%cgcc%c-O2%c-c%cg.c%c", dir, 0, 0, 0, 0, 0);
	f = fopen(path, "w");
	if (!f || fwrite(cmd, 1, (size_t)n, f) != (size_t)n || fclose(f))
		return -EIO;
	snprintf(path, sizeof(path), "%s/b", dir);
	return xb_got_open(p, path);
}

static void test_got(void)
{
	const char *a =
	    "#include <stdio.h>\nvolatile int v;\n"
	    "int f(int x) { v = x; v += 2; return x + 1; }\nint h(void) { return 7; }\n";
	const char *b = "#include <stdio.h>\nvolatile int v;\n"
	                "int f(int x) { v = x; fprintf(stderr, \"%d\\n\", x); return x + 1; }\n"
	                "int h(void) { return 7; }\n";
	struct xb_pair p, use;
	int rc;

	rc = diff_with_got(a, b, b, &p);
	CHECK(rc == 0 && p.got, "diff and GOT build (rc %d: %s)", rc, xs_error_message());
	if (rc || !p.got)
		goto out;
	CHECK(!via_got(&p, "f", "stderr"), "the ordinary build reaches stderr directly");
	use = p;
	rc = xb_got_use(&use);
	CHECK(rc == 0 && use.patched == p.got, "f's stderr: code from the GOT build");
	CHECK(via_got(&use, "f", "stderr"), "f reaches stderr through the GOT");
	CHECK(state_of(&use, "f") == XB_CHANGED && state_of(&use, "h") == XB_SAME,
	      "the diff's states carried over");
	CHECK(sec_of(&use, "f") && use.patched->sym[sec_of(&use, "f")->func].twin,
	      "f keeps its counterpart in the original");
	xb_obj_free(p.got);
	free_pair(&p);

	/* The GOT build does not hold the changed function: not used. */
	rc = diff_with_got(
	    a, b, "volatile int v;\nint g2(int x) { return x; }\nint h(void) { return 7; }\n", &p);
	use = p;
	rc = rc ? rc : xb_got_use(&use);
	CHECK(rc == 0 && use.patched == p.patched, "a GOT build without f is not used");
	xb_obj_free(p.got);
	free_pair(&p);

	/* No direct reference to other objects' data: the ordinary build stays. */
	rc = diff_with_got(
	    a,
	    "volatile int v;\nint f(int x) { v = x; v += 3; return x + 1; }\nint h(void) { return 7; }\n",
	    "volatile int v;\nint f(int x) { v = x; v += 3; return x + 1; }\nint h(void) { return 7; }\n",
	    &p);
	use = p;
	rc = rc ? rc : xb_got_use(&use);
	CHECK(rc == 0 && !p.got && use.patched == p.patched,
	      "no far data: no GOT build, the ordinary build is emitted");
out:
	xb_obj_free(p.got);
	free_pair(&p);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_stems();
	test_writer();
	test_diff();
	test_got();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		failures++;
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures != 0;
}
