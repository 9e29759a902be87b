/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the patch builder's pure parts: name stems, the object writer
 * (write, read back), and the diff on small objects compiled with gcc
 * (changed / new / unchanged functions, renamed statics, data refusals).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "error.h"

static int failures;
static char dir[] = "/tmp/xs-test-build.XXXXXX";

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		printf("%s: ", (cond) ? "ok" : "FAIL");                                 \
		printf(__VA_ARGS__);                                                    \
		printf("\n");                                                           \
		if (!(cond))                                                            \
			failures++;                                                     \
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
	GElf_Shdr sh = { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			 .sh_addralign = 16, .sh_size = 8 };
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
			      s->bind == STB_GLOBAL, "relocation names main.c#helper, undefined global");
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
	snprintf(cmd, sizeof(cmd), "cd %s/%s && gcc -O2 -c -ffunction-sections -fdata-sections x.c -o x.o",
		 dir, sub);
	return system(cmd) ? -EINVAL : 0;
}

#define BASE                                                                           \
	"int g = 1;\n"                                                                  \
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
	return (enum xb_state)-1;
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

	rc = diff_of(BASE "int f(void) { return bump() + 1; }\nint h(void) { return 7; }\n",
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
	CHECK(p.nchanged == 1 && p.nnew == 1, "1 changed, 1 new (got %zu, %zu)", p.nchanged, p.nnew);
	free_pair(&p);

	rc = diff_of(BASE "const char *s(void) { return \"old\"; }\n",
		     BASE "const char *s(void) { return \"new\"; }\n", &p);
	CHECK(rc == 0 && state_of(&p, "s") == XB_CHANGED, "a changed string literal changes s");
	free_pair(&p);

	rc = diff_of(BASE "int f(void) { return bump(); }\n", "int g = 2;\n"
		     "static __attribute__((noinline)) int bump(void) { static int count; return count += g; }\n"
		     "int f(void) { return bump(); }\n", &p);
	CHECK(rc == -EOPNOTSUPP && strstr(xs_error_message(), "g: initial value"),
	      "changed initial value refused: %s", xs_error_message());
	free_pair(&p);

	rc = diff_of(BASE "long arr[2];\nlong f(void) { return arr[1]; }\n",
		     BASE "long arr[3];\nlong f(void) { return arr[1]; }\n", &p);
	CHECK(rc == -EOPNOTSUPP && strstr(xs_error_message(), "arr: existing data changes size"),
	      "changed size refused: %s", xs_error_message());
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		failures++;
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures != 0;
}
