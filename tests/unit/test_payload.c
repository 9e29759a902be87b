/* SPDX-License-Identifier: MIT */
/*
 * Payload reader test: builds real payloads with gcc/ld, checks what is
 * decoded from them, then refuses malformed copies (one table of mutations),
 * each with the exact -errno and a message naming payload and culprit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>

#include "check.h"
#include "payload/payload.h"
#include "payload_fixture.h"

/* --- reading and writing a raw image (memcpy: nothing need be aligned) ---------- */

struct img {
	unsigned char *b;
	size_t len;
};

static Elf64_Ehdr eh_get(const struct img *m)
{
	Elf64_Ehdr e;

	memcpy(&e, m->b, sizeof(e));
	return e;
}

static void eh_set(struct img *m, const Elf64_Ehdr *e)
{
	memcpy(m->b, e, sizeof(*e));
}

static Elf64_Shdr sh_get(const struct img *m, int i)
{
	Elf64_Shdr s;

	memcpy(&s, m->b + eh_get(m).e_shoff + i * sizeof(s), sizeof(s));
	return s;
}

static void sh_set(struct img *m, int i, const Elf64_Shdr *s)
{
	memcpy(m->b + eh_get(m).e_shoff + i * sizeof(*s), s, sizeof(*s));
}

static const char *sec_name(const struct img *m, int i)
{
	return (const char *)m->b + sh_get(m, eh_get(m).e_shstrndx).sh_offset +
	       sh_get(m, i).sh_name;
}

static int sec_find(const struct img *m, const char *name)
{
	for (int i = 1; i < eh_get(m).e_shnum; i++) {
		if (!strcmp(sec_name(m, i), name))
			return i;
	}
	return -1;
}

static int sec_of_type(const struct img *m, unsigned type)
{
	for (int i = 1; i < eh_get(m).e_shnum; i++) {
		if (sh_get(m, i).sh_type == type)
			return i;
	}
	return -1;
}

static size_t sym_off(const struct img *m, int i)
{
	return sh_get(m, sec_of_type(m, SHT_SYMTAB)).sh_offset + i * sizeof(Elf64_Sym);
}

static Elf64_Sym sym_get(const struct img *m, int i)
{
	Elf64_Sym s;

	memcpy(&s, m->b + sym_off(m, i), sizeof(s));
	return s;
}

static void sym_set(struct img *m, int i, const Elf64_Sym *s)
{
	memcpy(m->b + sym_off(m, i), s, sizeof(*s));
}

static int sym_find(const struct img *m, const char *name)
{
	Elf64_Shdr st = sh_get(m, sec_of_type(m, SHT_SYMTAB));
	const char *strs = (const char *)m->b + sh_get(m, st.sh_link).sh_offset;

	for (size_t i = 1; i < st.sh_size / sizeof(Elf64_Sym); i++) {
		if (!strcmp(strs + sym_get(m, i).st_name, name))
			return (int)i;
	}
	return -1;
}

/* File offset of the relocation of `target` at r_offset `at`; 0 when none. */
static size_t rela_find(const struct img *m, const char *target, uint64_t at)
{
	char name[128];
	int i;
	Elf64_Shdr s;

	snprintf(name, sizeof(name), ".rela%s", target);
	i = sec_find(m, name);
	if (i < 0)
		return 0;
	s = sh_get(m, i);
	for (size_t k = 0; k < s.sh_size / sizeof(Elf64_Rela); k++) {
		Elf64_Rela r;

		memcpy(&r, m->b + s.sh_offset + k * sizeof(r), sizeof(r));
		if (r.r_offset == at)
			return s.sh_offset + k * sizeof(r);
	}
	return 0;
}

static Elf64_Rela rela_get(const struct img *m, size_t fo)
{
	Elf64_Rela r;

	memcpy(&r, m->b + fo, sizeof(r));
	return r;
}

static void rela_set(struct img *m, size_t fo, const Elf64_Rela *r)
{
	memcpy(m->b + fo, r, sizeof(*r));
}

/* Index of the .xsplice.funcs entry whose name is `name`, decoded by hand. */
static int func_find(const struct img *m, const char *name)
{
	Elf64_Shdr f = sh_get(m, sec_find(m, XSPLICE_FUNCS_SECTION));

	for (size_t k = 0; k < f.sh_size / sizeof(struct xsplice_func); k++) {
		size_t fo = rela_find(m, XSPLICE_FUNCS_SECTION, k * sizeof(struct xsplice_func));
		Elf64_Rela r;
		Elf64_Sym s;

		if (!fo)
			continue;
		r = rela_get(m, fo);
		s = sym_get(m, ELF64_R_SYM(r.r_info));
		if (!strcmp((const char *)m->b + sh_get(m, s.st_shndx).sh_offset + s.st_value +
		                r.r_addend,
		            name))
			return (int)k;
	}
	return -1;
}

/* File offset of that entry's struct xsplice_func. */
static size_t func_off(const struct img *m, const char *name)
{
	int k = func_find(m, name);

	if (k < 0)
		return 0;
	return sh_get(m, sec_find(m, XSPLICE_FUNCS_SECTION)).sh_offset +
	       k * sizeof(struct xsplice_func);
}

static int grow(struct img *m, size_t len)
{
	unsigned char *b = realloc(m->b, len);

	if (!b)
		return -1;
	memset(b + m->len, 0, len > m->len ? len - m->len : 0);
	m->b = b;
	m->len = len;
	return 0;
}

#include "payload_cases.h"

/* --- decoded content of real payloads -------------------------------------------- */

static const struct xs_func_desc *find_func(const struct xs_payload *p, const char *name)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		if (!strcmp(p->funcs[i].name, name))
			return &p->funcs[i];
	}
	return NULL;
}

static const char *new_name(const struct xs_payload *p, const struct xs_func_desc *f)
{
	return f && f->new_sym ? p->syms[f->new_sym].name : "(none)";
}

static int find_sec(const struct xs_payload *p, const char *name)
{
	for (size_t i = 1; i < p->nsections; i++) {
		if (!strcmp(p->sections[i].name, name))
			return (int)i;
	}
	return -1;
}

static void check_funcs(const struct xs_payload *p)
{
	const struct xs_func_desc *f;

	check(p->nfuncs == 4, "good: 4 funcs (got %zu)", p->nfuncs);
	f = find_func(p, "compute");
	check(f && !strcmp(new_name(p, f), "new_compute") && f->new_addend == 0 &&
	          !f->expect.enabled,
	      "good: compute -> %s", new_name(p, f));
	f = find_func(p, "server.c#parse");
	check(f && !strcmp(new_name(p, f), "new_parse"), "good: server.c#parse -> %s",
	      new_name(p, f));
	f = find_func(p, "debug_hook");
	check(f && f->new_sym == 0 && f->new_size == 5, "good: debug_hook is a NOP of 5 bytes");
	f = find_func(p, "checksum");
	check(f && !strcmp(new_name(p, f), "new_compute") && f->expect.enabled &&
	          f->expect.len == 4 && !memcmp(f->expect.data, "\x55\x48\x89\xe5", 4),
	      "good: checksum -> new_compute, expecting 55 48 89 e5");
}

static void check_sections(const struct xs_payload *p)
{
	static const struct {
		const char *name;
		enum xs_sec_kind kind;
	} want[] = {
		{ ".text.new_compute", XS_SEC_TEXT },
		{ ".data.data_var", XS_SEC_DATA },
		{ ".bss.state", XS_SEC_BSS },
		{ XSPLICE_FUNCS_SECTION, XS_SEC_RODATA },
		{ ".xsplice.hooks.load", XS_SEC_RODATA },
		{ ".note.xsplice", XS_SEC_SKIP },
		{ ".note.gnu.build-id", XS_SEC_SKIP },
		{ ".symtab", XS_SEC_SKIP },
		{ ".eh_frame", XS_SEC_RODATA },
	};

	for (size_t i = 0; i < XS_ARRAY_SIZE(want); i++) {
		int s = find_sec(p, want[i].name);

		check(s > 0 && p->sections[s].kind == want[i].kind,
		      "good: section %s is of kind %d (got %d)", want[i].name, want[i].kind,
		      s > 0 ? (int)p->sections[s].kind : -1);
	}
	check(find_sec(p, ".text.new_compute") > 0 &&
	          p->sections[find_sec(p, ".text.new_compute")].nrelocs >= 2,
	      "good: .text.new_compute carries its relocations");
	check(p->sections[p->funcs_shndx].nrelocs == 7,
	      "good: .xsplice.funcs has 7 relocations (got %zu)",
	      p->sections[p->funcs_shndx].nrelocs);
}

static void check_hooks_and_ids(const struct xs_payload *p)
{
	static const size_t want[XS_HOOK_COUNT] = {
		[XS_HOOK_LOAD] = 1, [XS_HOOK_PRE_APPLY] = 2, [XS_HOOK_POST_APPLY] = 1
	};
	bool zero = true;

	for (int k = 0; k < XS_HOOK_COUNT; k++)
		check(p->hook_count[k] == want[k] && (p->hook_shndx[k] != 0) == (want[k] != 0),
		      "good: %zu %s hooks (got %zu)", want[k], xs_hook_names[k], p->hook_count[k]);
	for (size_t i = 0; i < p->build_id.len; i++)
		zero &= !p->build_id.bytes[i];
	check(p->build_id.len == 20 && !zero, "good: own build-id of 20 bytes (sha1)");
	check(p->target_id.len == 20 && !memcmp(p->target_id.bytes, fx_target_id, 20),
	      "good: target build-id as written in the note");
	check(p->depends_id.len == 0, "good: no dependency");
}

static void check_pointer_at(const struct xs_payload *p)
{
	unsigned fs = p->funcs_shndx;
	size_t nop = find_func(p, "debug_hook") - p->funcs;
	size_t cmp = find_func(p, "compute") - p->funcs;
	uint32_t sym = 99;
	int64_t add = 99;
	int rc;

	rc = xs_payload_pointer_at(p, fs, cmp * 128 + 8, &sym, &add);
	check(rc == 0 && !strcmp(p->syms[sym].name, "new_compute") && add == 0,
	      "pointer_at: compute's new_addr slot -> new_compute");
	rc = xs_payload_pointer_at(p, fs, nop * 128 + 8, &sym, &add);
	check(rc == 0 && sym == 0 && add == 0, "pointer_at: NOP entry's new_addr slot is NULL");
	xs_error_clear();
	rc = xs_payload_pointer_at(p, fs, cmp * 128 + 4, &sym, &add);
	check(rc == -EINVAL && strstr(xs_error_message(), "offset 0x"),
	      "pointer_at: a misaligned slot is refused: %s", xs_error_message());
	xs_error_clear();
	rc = xs_payload_pointer_at(p, fs, p->nfuncs * 128 - 4, &sym, &add);
	check(rc == -EINVAL && strstr(xs_error_message(), "outside the section"),
	      "pointer_at: a slot past the end is refused: %s", xs_error_message());
	xs_error_clear();
	rc = xs_payload_pointer_at(p, (unsigned)p->nsections, 0, &sym, &add);
	check(rc == -EINVAL, "pointer_at: a section index out of range is refused");
	xs_error_clear();
}

static void test_good(const struct fx *f)
{
	struct xs_payload *p = NULL;
	char path[256];
	int rc;

	fx_path(f, "good.xsp", path, sizeof(path));
	xs_error_clear();
	rc = xs_payload_open(path, &p);
	check(rc == 0 && p, "good: opens (%d %s)", rc, xs_error_message());
	if (rc)
		return;
	check(!strcmp(p->name, path), "good: named by its path");
	check_funcs(p);
	check_sections(p);
	check_hooks_and_ids(p);
	check_pointer_at(p);
	xs_payload_free(p);
	xs_payload_free(NULL);
}

/* A variant built from source: opens, or is refused with errno and text. */
static void test_built(const struct fx *f, const char *base, const char *source, const char *notes,
                       const char *cflags, const char *ldflags, int err, const char *want)
{
	struct xs_payload *p = NULL;
	char file[128], path[256];
	int rc;

	if (fx_build(f, base, source, notes, cflags, ldflags)) {
		check(false, "%s: fixture builds", base);
		return;
	}
	snprintf(file, sizeof(file), "%s.xsp", base);
	fx_path(f, file, path, sizeof(path));
	xs_error_clear();
	rc = xs_payload_open(path, &p);
	check(rc == err &&
	          (rc ? !p && strstr(xs_error_message(), want) && strstr(xs_error_message(), path) :
	                p != NULL),
	      "%s: %s (%d: %s)", base, err ? "refused" : "opens", rc, xs_error_message());
	xs_payload_free(p);
}

static void test_variants(const struct fx *f)
{
	static const unsigned char dep[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	char notes[8192], tmp[4096], long_id[200] = "--build-id=0x";
	struct xs_payload *p = NULL;
	char path[256];

	fx_note_asm(notes, sizeof(notes), 1, fx_target_id, 20);
	fx_note_asm(tmp, sizeof(tmp), 2, dep, sizeof(dep));
	/* Two notes in one .note.xsplice: strip the second copy's GNU-stack line. */
	*strstr(notes, ".section .note.GNU-stack") = '\0';
	strcat(notes, tmp);
	if (!fx_build(f, "depends", fx_good_source, notes, NULL, NULL)) {
		fx_path(f, "depends.xsp", path, sizeof(path));
		check(xs_payload_open(path, &p) == 0 && p->depends_id.len == 8 &&
		          !memcmp(p->depends_id.bytes, dep, 8),
		      "depends: dependency build-id decoded");
		xs_payload_free(p);
	} else {
		check(false, "depends: fixture builds");
	}
	fx_note_asm(notes, sizeof(notes), 1, fx_target_id, 20);
	test_built(f, "debuginfo", fx_good_source, notes, "-g", NULL, 0, "");
	test_built(f, "notarget", fx_good_source, NULL, NULL, NULL, -EINVAL,
	           "no target build-id note");
	test_built(f, "nobuildid", fx_good_source, notes, NULL, "--build-id=none", -EINVAL,
	           "no build-id note (link with ld --build-id)");
	for (int i = 0; i < 70; i++)
		strcat(long_id, "ab");
	test_built(f, "longid", fx_good_source, notes, NULL, long_id, -EINVAL,
	           "build-id of 70 bytes");
	test_built(
	    f, "common",
	    "#include <xsplice/payload.h>\nint shared;\nint n(void) { return shared; }\nXSPLICE_REPLACE(o, n);\n",
	    notes, "-fcommon", NULL, -EINVAL,
	    "shared: common symbol: compile the payload with -fno-common");
	test_built(
	    f, "tls",
	    "#include <xsplice/payload.h>\n__thread int t;\nint n(void) { return t++; }\nXSPLICE_REPLACE(o, n);\n",
	    notes, NULL, NULL, -EOPNOTSUPP, "thread-local data in a payload is not supported");
	test_built(
	    f, "twice",
	    "#include <xsplice/payload.h>\nint n(void) { return 1; }\nint m(void) { return 2; }\nXSPLICE_REPLACE(o, n);\nXSPLICE_REPLACE(o, m);\n",
	    notes, NULL, NULL, -EINVAL, "func 1: o patched twice in one payload");
	test_built(f, "nofuncs", "int n(void) { return 1; }\n", notes, NULL, NULL, -EINVAL,
	           "no .xsplice.funcs section: nothing to patch");
	test_built(
	    f, "ctor",
	    "#include <xsplice/payload.h>\nint n(void) { return 1; }\nvolatile int cx;\n__attribute__((constructor)) static void c(void) { cx = 1; }\nXSPLICE_REPLACE(o, n);\n",
	    notes, NULL, NULL, -EOPNOTSUPP, "XSPLICE_LOAD_HOOK");
	test_built(
	    f, "hookdata",
	    "#include <xsplice/payload.h>\nint n(void) { return 1; }\nXSPLICE_REPLACE(o, n);\n"
	    "static const xsplice_hook_fn h __attribute__((used, section(\".xsplice.hooks.unload\"))) = 0;\n",
	    notes, NULL, NULL, -EINVAL, ".xsplice.hooks.unload: hook 0 is NULL");
}

/* 1000 replaced functions: must open in well under a second, even under ASan. */
static void test_many(const struct fx *f)
{
	size_t cap = 1000 * 120 + 100, n = 0;
	char *src = malloc(cap), notes[4096], path[256];
	struct xs_payload *p = NULL;
	long long t0;
	int rc;

	if (!src)
		return check(false, "many: allocate source");
	n += snprintf(src + n, cap - n, "#include <xsplice/payload.h>\n");
	for (int i = 0; i < 1000; i++)
		n += snprintf(src + n, cap - n,
		              "int n%d(int x) { return x + %d; }\nXSPLICE_REPLACE(f%d, n%d);\n", i,
		              i, i, i);
	fx_note_asm(notes, sizeof(notes), 1, fx_target_id, 20);
	rc = fx_build(f, "many", src, notes, NULL, NULL);
	free(src);
	if (rc)
		return check(false, "many: fixture builds");
	fx_path(f, "many.xsp", path, sizeof(path));
	t0 = xs_now_us();
	rc = xs_payload_open(path, &p);
	t0 = xs_now_us() - t0;
	check(rc == 0 && p->nfuncs == 1000, "many: 1000 funcs open in %lld us", t0);
	check(t0 < 1000000, "many: under a second");
	xs_payload_free(p);
}

/* Over the size limit, through a real (sparse) file and through memory. */
static void test_oversize(const struct fx *f, const struct img *good)
{
	size_t len = XS_PAYLOAD_MAX_SIZE + 1;
	struct xs_payload *p = NULL;
	char path[256];
	unsigned char *big;
	int fd, rc;

	fx_path(f, "big.xsp", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = fd >= 0 && write(fd, good->b, good->len) == (ssize_t)good->len && !ftruncate(fd, len);
	if (fd >= 0)
		close(fd);
	check(rc, "oversize: sparse file made");
	xs_error_clear();
	rc = xs_payload_open(path, &p);
	check(rc == -EFBIG && !p && strstr(xs_error_message(), path), "oversize file: -EFBIG (%s)",
	      xs_error_message());
	/* Anonymous memory is only touched where we copy: cheap however large. */
	big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	           -1, 0);
	if (big == MAP_FAILED)
		return check(false, "oversize: mmap");
	memcpy(big, good->b, good->len);
	xs_error_clear();
	rc = xs_payload_open_mem("big-mem", big, len, &p);
	check(rc == -EFBIG && !p && strstr(xs_error_message(), "big-mem"),
	      "oversize memory: -EFBIG (%s)", xs_error_message());
	munmap(big, len);
}

static void run_case(const struct img *good, const struct mut_case *c)
{
	struct img m = { malloc(good->len), good->len };
	struct xs_payload *p = NULL;
	char name[128];
	const char *msg;
	unsigned char *exact;
	int rc;

	if (!m.b)
		return check(false, "%s: allocate", c->name);
	memcpy(m.b, good->b, good->len);
	if (c->mutate(&m)) {
		free(m.b);
		return check(false, "%s: the fixture has what the mutation needs", c->name);
	}
	/* An exact-size copy, so ASan sees any read past the end. */
	exact = malloc(m.len ? m.len : 1);
	memcpy(exact, m.b, m.len);
	snprintf(name, sizeof(name), "mut-%s.xsp", c->name);
	xs_error_clear();
	rc = xs_payload_open_mem(name, exact, m.len, &p);
	msg = xs_error_message();
	check(rc == c->err && !p && strstr(msg, name) && strstr(msg, c->want),
	      "%s: %d (want %d) \"%s\" (want \"%s\")", c->name, rc, c->err, msg, c->want);
	xs_payload_free(p);
	free(exact);
	free(m.b);
}

/* Cut anywhere: always refused, always with the payload named. */
static void test_truncations(const struct img *good)
{
	int bad = 0, n = 0;

	for (size_t len = 0; len < good->len; len += good->len / 97 + 1, n++) {
		struct xs_payload *p = NULL;
		unsigned char *b = malloc(len ? len : 1);
		int rc;

		memcpy(b, good->b, len);
		xs_error_clear();
		rc = xs_payload_open_mem("cut", b, len, &p);
		if (rc >= 0 || p || !strstr(xs_error_message(), "cut")) {
			bad++;
			printf("     cut at %zu: %d %s\n", len, rc, xs_error_message());
		}
		xs_payload_free(p);
		free(b);
	}
	check(bad == 0, "truncations: %d cuts all refused with the payload named", n);
}

int main(void)
{
	struct fx f = { .dir = "" };
	struct img good = { NULL, 0 };

	if (fx_init(&f) || fx_build_good(&f, &good.b, &good.len)) {
		check(false, "build the good fixture (gcc, ld, include/ from the repository root)");
		fx_fini(&f);
		return 1;
	}
	test_good(&f);
	test_variants(&f);
	test_many(&f);
	for (size_t i = 0; i < XS_ARRAY_SIZE(mut_cases); i++)
		run_case(&good, &mut_cases[i]);
	test_truncations(&good);
	test_oversize(&f, &good);
	free(good.b);
	fx_fini(&f);
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
	return failures != 0;
}
