/* SPDX-License-Identifier: MIT */
/*
 * Target objects and symbol resolution: builds small programs with gcc (PIE,
 * non-PIE, static, stripped + debug file, deleted, 100k symbols), runs them,
 * and checks that xs_objects_* find exactly the addresses they print.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"
#include "common/error.h"
#include "symbols/objects.h"

extern char **environ;

static char dir[64];

/* --- the programs ------------------------------------------------------------------ */

static const char lib_c[] =
    "static int lib_fn_impl(int x) { return x + 1; }\n"
    "int lib_fn(int x) __attribute__((alias(\"lib_fn_impl\")));\n"
    "static int both_impl(void) { return 2; }\n"
    "int both(void) __attribute__((alias(\"both_impl\")));\n"
    "void *lib_fn_addr(void) { return (void *)lib_fn_impl; }\n"
    "void *lib_both_addr(void) { return (void *)both_impl; }\n"
    "static int lib_secret(void) { return 9; } /* made GLOBAL in .symtab only */\n"
    "void *lib_secret_addr(void) { return (void *)lib_secret; }\n";

static const char a_c[] = "static int helper(void) { return 1; }\n"
                          "void *a_helper(void) { return (void *)helper; }\n";
static const char b_c[] = "static int helper(void) { return 2; }\n"
                          "void *b_helper(void) { return (void *)helper; }\n";

/* A third static helper whose STT_FILE carries a directory, as some builds do. */
static const char c_s[] = "\t.file \"src/c.c\"\n\t.text\n"
                          "\t.type helper, @function\nhelper:\tmovl $3, %eax\n\tret\n"
                          "\t.size helper, .-helper\n"
                          "\t.globl c_helper\n\t.type c_helper, @function\n"
                          "c_helper:\tleaq helper(%rip), %rax\n\tret\n"
                          "\t.size c_helper, .-c_helper\n"
                          "\t.section .note.GNU-stack,\"\",@progbits\n";

static const char main_c[] =
    "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n"
    "void *a_helper(void); void *b_helper(void); void *c_helper(void);\n"
    "#ifndef NOLIB\n"
    "void *lib_fn_addr(void); void *lib_both_addr(void); void *lib_secret_addr(void);\n"
    "int lib_fn(int);\n"
    "#endif\n"
    "int both(void) { return 1; }\n"
    "int global_fn(int x) { return x * 3 + VARIANT; }\n"
    "int global_var = 5;\n"
    "char bss_blob[1 << 20]; /* .bss past the file: an anonymous mapping */\n"
    "static void *volatile sink;\n"
    "int main(int argc, char **argv) {\n"
    "	char buf[64]; volatile size_t n = argc + 3;\n"
    "	memcpy(buf, argv[0], n); sink = buf;\n"
    "	printf(\"global_fn=%p\\n\", (void *)global_fn);\n"
    "	printf(\"global_var=%p\\n\", (void *)&global_var);\n"
    "	printf(\"bss_end=%p\\n\", (void *)&bss_blob[sizeof(bss_blob) - 1]);\n"
    "	printf(\"a_helper=%p\\nb_helper=%p\\n\", a_helper(), b_helper());\n"
    "	printf(\"c_helper=%p\\n\", c_helper());\n"
    "	printf(\"main_both=%p\\n\", (void *)both);\n"
    "	printf(\"stderr=%p\\n\", (void *)&stderr);\n"
    "#ifndef NOLIB\n"
    "	printf(\"lib_fn=%p\\nlib_both=%p\\n\", lib_fn_addr(), lib_both_addr());\n"
    "	printf(\"lib_secret=%p\\ncall=%d\\n\", lib_secret_addr(), lib_fn(1));\n"
    "#endif\n"
    "	printf(\"READY\\n\"); fflush(stdout);\n"
    "	alarm(120); /* never outlive a crashed test */\n"
    "	for (;;) pause();\n"
    "}\n";

static const char big_main_c[] =
    "#include <stdio.h>\n#include <unistd.h>\n"
    "void f0(void); void f99999(void);\n"
    "int main(void) {\n"
    "	printf(\"f0=%p\\nf99999=%p\\nREADY\\n\", (void *)f0, (void *)f99999);\n"
    "	fflush(stdout); alarm(120); for (;;) pause();\n"
    "}\n";

static int write_big_asm(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/big.s", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("\t.section .note.GNU-stack,\"\",@progbits\n\t.text\n", f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "\t.globl f%d\n\t.type f%d,@function\nf%d:\tret\n\t.size f%d,1\n", i, i,
		        i, i);
	return fclose(f) ? -1 : 0;
}

static int build_all(void)
{
	char cc[128];

	if (write_file(dir, "lib.c", lib_c) || write_file(dir, "a.c", a_c) ||
	    write_file(dir, "b.c", b_c) || write_file(dir, "c.s", c_s) ||
	    write_file(dir, "main.c", main_c) || write_file(dir, "big_main.c", big_main_c) ||
	    write_big_asm())
		return -1;
	snprintf(cc, sizeof(cc), "cd %s && timeout 120 gcc -O1 -g -Wl,--build-id", dir);
	if (run("cd %s && timeout 120 gcc -O1 -g -fPIC -shared lib.c -o libfoo.so && objcopy --globalize-symbol=lib_secret libfoo.so",
	        dir) ||
	    run("%s -DVARIANT=1 -fPIE -pie main.c a.c b.c c.s -L. -lfoo -o prog_pie", cc) ||
	    run("%s -DVARIANT=2 -fno-pie -no-pie main.c a.c b.c c.s -L. -lfoo -o prog_nopie", cc) ||
	    run("%s -DVARIANT=3 -fPIE -pie main.c a.c b.c c.s -L. -lfoo -o prog_strip", cc) ||
	    run("%s -DVARIANT=4 -DNOLIB -static main.c a.c b.c c.s -o prog_static", cc) ||
	    run("%s -fPIE -pie big_main.c big.s -o prog_big", cc))
		return -1;
	return run(
	    "cd %s && objcopy --only-keep-debug prog_strip prog_strip.debug && strip --strip-all prog_strip && cp prog_pie prog_del && mkdir -p nodebug",
	    dir);
}

/* --- running a program ------------------------------------------------------------- */

struct child {
	pid_t pid;
	size_t n;
	char key[16][32];
	uint64_t val[16];
};

static int parse_output(struct child *c, char *buf)
{
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strchr(line, '=');

		if (!strcmp(line, "READY"))
			return 0;
		if (!eq || c->n == 16)
			continue;
		*eq = '\0';
		snprintf(c->key[c->n], sizeof(c->key[0]), "%s", line);
		c->val[c->n++] = strtoull(eq + 1, NULL, 0);
	}
	return -1;
}

/* Start dir/name; wait (at most 20 s) for its "READY" line. */
static int child_start(struct child *c, const char *name)
{
	char path[256], buf[4096] = "";
	char *argv[] = { path, NULL };
	posix_spawn_file_actions_t fa;
	long long deadline = xs_now_ms() + 20000;
	size_t len = 0;
	int p[2], rc;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pipe(p))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	rc = posix_spawn(&c->pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc)
		c->pid = 0;
	while (!rc && !strstr(buf, "READY\n")) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long long left = deadline - xs_now_ms();
		ssize_t n = -1;

		if (len < sizeof(buf) - 1 && left > 0 && poll(&pfd, 1, (int)left) > 0)
			n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			rc = -1;
		} else {
			len += n;
			buf[len] = '\0';
		}
	}
	close(p[0]);
	if (rc) {
		fprintf(stderr, "%s did not start (printed: %s)\n", path, buf);
		return -1;
	}
	return parse_output(c, buf);
}

static uint64_t child_val(const struct child *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->key[i], key))
			return c->val[i];
	fprintf(stderr, "program printed no %s\n", key);
	return 1; /* never a symbol address: the check fails */
}

/* SIGKILL, then reap within 5 s. */
static void child_stop(struct child *c)
{
	long long deadline = xs_now_ms() + 5000;

	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, NULL, WNOHANG) == 0 && xs_now_ms() < deadline)
		usleep(1000);
	c->pid = 0;
}

/* --- helpers ----------------------------------------------------------------------- */

static struct xs_object *find_obj(struct xs_objects *o, const char *needle, size_t *idx)
{
	for (size_t i = 0; o && i < o->n; i++)
		if (strstr(o->v[i].path, needle)) {
			if (idx)
				*idx = i;
			return &o->v[i];
		}
	return NULL;
}

/* Build-id as `readelf -n` prints it: an independent reading. */
static int readelf_build_id(const char *path, struct xs_build_id *out)
{
	char cmd[512], line[512], *p;
	int rc = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if ((p = strstr(line, "Build ID: ")) && rc) {
			p += strlen("Build ID: ");
			p[strcspn(p, " \n")] = '\0';
			rc = xs_unhex(p, out->bytes, XS_BUILD_ID_MAX, &out->len);
		}
	pclose(f);
	return rc;
}

/* Value of a dynamic symbol exactly as readelf names it ("memcpy@@GLIBC_2.14"). */
static int readelf_dynsym(const char *lib, const char *name, uint64_t *val)
{
	char cmd[512], line[512], sym[256];
	int rc = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf --dyn-syms -W '%s' 2>/dev/null", lib);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "%*s %" SCNx64 " %*s %*s %*s %*s %*s %255s", &v, sym) == 2 &&
		    !strcmp(sym, name) && rc) {
			*val = v;
			rc = 0;
		}
	}
	pclose(f);
	return rc;
}

static int resolve(struct xs_objects *o, struct xs_object *home, const char *name,
                   struct xs_symbol_info *si)
{
	memset(si, 0, sizeof(*si));
	xs_error_clear();
	return xs_objects_resolve(o, home, name, si);
}

static void expect_addr(struct xs_objects *o, struct xs_object *home, const char *name,
                        uint64_t want, const char *what)
{
	struct xs_symbol_info si;
	int rc = resolve(o, home, name, &si);

	check(rc == 0 && si.addr == want,
	      "%s: '%s' resolves to %#" PRIx64 " (program: %#" PRIx64 ") rc %d %s", what, name,
	      si.addr, want, rc, xs_error_message());
}

static int scan(const struct child *c, struct xs_objects **o)
{
	int rc;

	xs_error_clear();
	rc = xs_objects_scan(c->pid, o);
	check(rc == 0 && *o && (*o)->n > 0 && (*o)->v[0].is_main,
	      "scan pid %d: %zu objects, first is the executable (rc %d %s)", (int)c->pid,
	      *o ? (*o)->n : 0, rc, xs_error_message());
	return rc;
}

/* --- cases ------------------------------------------------------------------------- */

static void check_order_and_ids(struct xs_objects *o, const char *exe)
{
	struct xs_build_id file_id = { 0 }, tool_id = { 0 };
	size_t ifoo = 0, ilibc = 0, ild = 0;
	struct xs_object *main = &o->v[0];
	char path[256];

	bool in_order, same_id;

	check(strstr(main->path, exe) != NULL, "executable first: %s", main->path);
	in_order = find_obj(o, "/libfoo.so", &ifoo) && find_obj(o, "/libc.so", &ilibc) &&
	           find_obj(o, "/ld-linux", &ild) && ifoo < ilibc && ilibc < ild;
	check(in_order, "link-map order: libfoo %zu < libc %zu < ld.so %zu", ifoo, ilibc, ild);
	snprintf(path, sizeof(path), "%s/%s", dir, exe);
	xs_error_clear();
	same_id = !xs_file_build_id(path, &file_id) && !readelf_build_id(path, &tool_id) &&
	          file_id.len == 20 && file_id.len == tool_id.len &&
	          !memcmp(file_id.bytes, tool_id.bytes, tool_id.len) &&
	          main->build_id.len == file_id.len &&
	          !memcmp(main->build_id.bytes, file_id.bytes, file_id.len);
	check(same_id, "build-id of %s: process = file = readelf -n (%zu bytes)", exe, file_id.len);
	check(xs_objects_by_build_id(o, &file_id) == main, "by_build_id finds the executable");
	check(xs_objects_by_build_id(o, &(struct xs_build_id){ .len = 3 }) == NULL,
	      "by_build_id of an unknown id: NULL");
}

static void check_names(struct xs_objects *o, const struct child *c)
{
	struct xs_object *main = &o->v[0];
	struct xs_symbol_info si;
	int rc;

	expect_addr(o, main, "global_fn", child_val(c, "global_fn"), "global function");
	expect_addr(o, main, "global_var", child_val(c, "global_var"), "global variable");
	expect_addr(o, main, "a.c#helper", child_val(c, "a_helper"), "static in a.c");
	expect_addr(o, main, "b.c#helper", child_val(c, "b_helper"), "static in b.c");
	rc = resolve(o, main, "helper", &si);
	check(rc == -ENOTUNIQ && strstr(xs_error_message(), "a.c") &&
	          strstr(xs_error_message(), "b.c") && strstr(xs_error_message(), "#helper"),
	      "plain 'helper' is ambiguous: rc %d, %s", rc, xs_error_message());
	xs_error_clear();
	expect_addr(o, main, "c.c#helper", child_val(c, "c_helper"),
	            "static in src/c.c, by base name");
	expect_addr(o, main, "src/c.c#helper", child_val(c, "c_helper"),
	            "static in src/c.c, by full name");
	xs_error_clear();
	rc = xs_object_lookup(main, "d.c#helper", &si);
	check(rc == -XS_ERRNO__NO_SYMBOL && strstr(xs_error_message(), "d.c#helper"),
	      "'d.c#helper' not found: rc %d, %s", rc, xs_error_message());
	xs_error_clear();
	rc = xs_object_lookup(main, "rc/c.c#helper", &si);
	check(rc == -XS_ERRNO__NO_SYMBOL, "'rc/c.c#helper' (a partial path) not found: rc %d", rc);
	rc = resolve(o, main, "no_such_symbol_xyz", &si);
	check(rc == -XS_ERRNO__NO_SYMBOL && strstr(xs_error_message(), "no_such_symbol_xyz"),
	      "unknown symbol: rc %d, %s", rc, xs_error_message());
	rc = resolve(o, NULL, "a.c#helper", &si);
	check(rc == -EINVAL, "file-qualified name without a home object refused: rc %d", rc);
	check(xs_objects_by_addr(o, child_val(c, "global_fn")) == main &&
	          xs_objects_by_addr(o, child_val(c, "global_var")) == main &&
	          xs_objects_by_addr(o, child_val(c, "bss_end")) == main &&
	          xs_objects_by_addr(o, 0) == NULL,
	      "by_addr: function, variable and end of .bss in the executable, 0 in nothing");
}

static void check_libs(struct xs_objects *o, const struct child *c, bool pie)
{
	struct xs_object *main = &o->v[0], *foo = find_obj(o, "/libfoo.so", NULL);
	struct xs_object *libc = find_obj(o, "/libc.so", NULL);
	struct xs_symbol_info si;
	uint64_t v14 = 0, v225 = 0;
	int rc;

	expect_addr(o, main, "lib_fn", child_val(c, "lib_fn"), "library function");
	expect_addr(o, foo, "global_fn", child_val(c, "global_fn"),
	            "executable's .symtab global, from the library as home");
	expect_addr(o, main, "both", child_val(c, "main_both"), "defined in exe and lib: exe's");
	xs_error_clear();
	rc = foo ? xs_object_lookup(foo, "both", &si) : -1;
	check(rc == 0 && si.addr == child_val(c, "lib_both") && si.obj == foo,
	      "lookup in libfoo itself gives the library's 'both' (rc %d)", rc);
	check(xs_objects_by_addr(o, child_val(c, "lib_fn")) == foo, "by_addr: lib_fn in libfoo");
	/* A global of a library's .symtab that .dynsym does not export is not in scope. */
	rc = resolve(o, main, "lib_secret", &si);
	check(rc == -XS_ERRNO__NO_SYMBOL,
	      "unexported library global not in the global scope: rc %d", rc);
	expect_addr(o, foo, "lib_secret", child_val(c, "lib_secret"),
	            "unexported global, from its own library");
	/* gcc's PIE code reaches extern data directly too: a copy relocation either way. */
	rc = resolve(o, main, "stderr", &si);
	check(rc == 0 && si.addr == child_val(c, "stderr") && si.obj == main,
	      "%s: stderr = &stderr of the program = its copy in the executable (rc %d, in %s)",
	      pie ? "PIE" : "non-PIE", rc, si.obj ? si.obj->path : "-");
	rc = resolve(o, main, "memcpy", &si);
	check(libc && rc == 0 && si.type == STT_GNU_IFUNC && si.obj == libc &&
	          !readelf_dynsym(libc->path, "memcpy@@GLIBC_2.14", &v14) &&
	          si.addr == libc->bias + v14,
	      "memcpy: IFUNC resolver in libc at %#" PRIx64 " (rc %d, type %u)", si.addr, rc,
	      si.type);
	rc = resolve(o, main, "memcpy@GLIBC_2.2.5", &si);
	check(libc && rc == 0 && si.type == STT_FUNC &&
	          !readelf_dynsym(libc->path, "memcpy@GLIBC_2.2.5", &v225) &&
	          si.addr == libc->bias + v225 && v225 != v14,
	      "memcpy@GLIBC_2.2.5: the old version, a plain function (rc %d)", rc);
}

/* 1000 names over libc: every one must resolve to libc at readelf's value. */
static void time_libc(struct xs_objects *o)
{
	static char names[1000][128];
	static uint64_t vals[1000];
	static bool abs[1000]; /* SHN_ABS (version symbols): taken as they are */
	struct xs_object *libc = find_obj(o, "/libc.so", NULL);
	char cmd[512], line[512], type[16], bind[16], ndx[16], sym[256], *at;
	size_t n = 0, good = 0;
	long long t0, t1, t2;
	FILE *f;

	if (!libc) {
		check(0, "libc found");
		return;
	}
	snprintf(cmd, sizeof(cmd), "readelf --dyn-syms -W '%s'", libc->path);
	f = popen(cmd, "r");
	while (f && n < 1000 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %" SCNx64 " %*s %15s %15s %*s %15s %255s", &vals[n], type,
		           bind, ndx, sym) == 5 &&
		    strcmp(ndx, "UND") && strlen(sym) < 128 &&
		    (!strcmp(bind, "GLOBAL") || !strcmp(bind, "WEAK")) &&
		    (!strcmp(type, "FUNC") || !strcmp(type, "OBJECT") || !strcmp(type, "IFUNC")) &&
		    (!(at = strchr(sym, '@')) || at[1] == '@')) {
			if (at)
				*at = '\0';
			abs[n] = !strcmp(ndx, "ABS");
			strcpy(names[n++], sym);
		}
	if (f)
		pclose(f);
	t0 = xs_now_us();
	for (size_t i = 0; i < n; i++) {
		struct xs_symbol_info si;
		int rc = xs_objects_resolve(o, &o->v[0], names[i], &si);

		if (rc == 0 && si.obj == libc && si.addr == (abs[i] ? 0 : libc->bias) + vals[i])
			good++;
		else if (i + 1 - good <= 5)
			fprintf(stderr,
			        "libc name %s: rc %d addr %#" PRIx64 " want %#" PRIx64 " %s\n",
			        names[i], rc, si.addr, (abs[i] ? 0 : libc->bias) + vals[i],
			        si.obj ? si.obj->path : "-");
	}
	t1 = xs_now_us();
	xs_error_clear();
	xs_object_lookup(libc, "no_such_local_xyz", &(struct xs_symbol_info){ 0 });
	t2 = xs_now_us();
	check(
	    n == 1000 && good == n,
	    "libc: %zu/%zu names resolve to readelf's addresses; 1000 resolves in %lld us (first ones load the .dynsyms)",
	    good, n, t1 - t0);
	check(t2 - t1 < 2000000, "libc: loading its debug-file .symtab + one lookup: %lld us",
	      t2 - t1);
}

static void test_pie(void)
{
	struct xs_objects *o = NULL;
	struct child c;

	printf("# PIE executable + libfoo.so\n");
	if (child_start(&c, "prog_pie")) {
		check(0, "prog_pie runs");
		child_stop(&c);
		return;
	}
	if (!scan(&c, &o)) {
		check_order_and_ids(o, "prog_pie");
		check_names(o, &c);
		check_libs(o, &c, true);
		time_libc(o);
	}
	xs_objects_free(o);
	child_stop(&c);
}

static void test_nopie(void)
{
	struct xs_objects *o = NULL;
	struct child c;

	printf("# non-PIE executable (copy relocation of stderr)\n");
	if (child_start(&c, "prog_nopie")) {
		check(0, "prog_nopie runs");
		child_stop(&c);
		return;
	}
	if (!scan(&c, &o)) {
		check(o->v[0].bias == 0, "non-PIE bias is 0");
		check_order_and_ids(o, "prog_nopie");
		check_names(o, &c);
		check_libs(o, &c, false);
	}
	xs_objects_free(o);
	child_stop(&c);
}

/* Stripped executable: nothing local without its debug file, everything with it. */
static void test_stripped(void)
{
	struct xs_objects *o = NULL;
	struct xs_symbol_info si;
	struct xs_build_id id = { 0 };
	char path[256], hex[2 * XS_BUILD_ID_MAX + 1];
	struct child c;
	int rc;

	printf("# stripped executable + debug file found by build-id\n");
	snprintf(path, sizeof(path), "%s/prog_strip", dir);
	if (xs_file_build_id(path, &id) || id.len < 2) {
		check(0, "prog_strip has a build-id");
		return;
	}
	xs_hex(id.bytes, id.len, hex);
	if (run("cd %s && mkdir -p debug/.build-id/%.2s && cp prog_strip.debug debug/.build-id/%.2s/%s.debug",
	        dir, hex, hex, hex + 2) ||
	    child_start(&c, "prog_strip")) {
		check(0, "prog_strip runs");
		child_stop(&c);
		return;
	}
	snprintf(path, sizeof(path), "%s/nodebug", dir);
	setenv("XSPLICE_DEBUG_ROOT", path, 1);
	if (!scan(&c, &o)) {
		rc = resolve(o, &o->v[0], "a.c#helper", &si);
		check(rc == -XS_ERRNO__NO_SYMBOL &&
		          strstr(xs_error_message(), "nodebug/.build-id/"),
		      "without its debug file: 'a.c#helper' not found: rc %d, %s", rc,
		      xs_error_message());
		rc = resolve(o, &o->v[0], "global_fn", &si);
		check(rc == -XS_ERRNO__NO_SYMBOL,
		      "without its debug file: 'global_fn' not found either: rc %d", rc);
	}
	xs_objects_free(o);
	o = NULL;
	snprintf(path, sizeof(path), "%s/debug", dir);
	setenv("XSPLICE_DEBUG_ROOT", path, 1);
	if (!scan(&c, &o)) {
		expect_addr(o, &o->v[0], "a.c#helper", child_val(&c, "a_helper"),
		            "stripped + debug file");
		expect_addr(o, &o->v[0], "global_fn", child_val(&c, "global_fn"),
		            "stripped + debug file");
		expect_addr(o, &o->v[0], "lib_fn", child_val(&c, "lib_fn"),
		            "stripped + debug file");
	}
	unsetenv("XSPLICE_DEBUG_ROOT");
	xs_objects_free(o);
	child_stop(&c);
}

/* The executable deleted while it runs: still read through map_files. */
static void test_deleted(void)
{
	struct xs_objects *o = NULL;
	char path[256];
	struct child c;

	printf("# deleted executable\n");
	snprintf(path, sizeof(path), "%s/prog_del", dir);
	if (child_start(&c, "prog_del") || unlink(path)) {
		check(0, "prog_del runs and is deleted");
		child_stop(&c);
		return;
	}
	if (!scan(&c, &o)) {
		size_t len = strlen(o->v[0].path);

		check(len > 10 && !strcmp(o->v[0].path + len - 10, " (deleted)") &&
		          !strncmp(o->v[0].open_path, "/proc/", 6),
		      "executable %s opened as %s", o->v[0].path, o->v[0].open_path);
		expect_addr(o, &o->v[0], "global_fn", child_val(&c, "global_fn"),
		            "deleted executable");
		expect_addr(o, &o->v[0], "b.c#helper", child_val(&c, "b_helper"),
		            "deleted executable");
	}
	xs_objects_free(o);
	child_stop(&c);
}

/* Static executable: no DT_DEBUG, no link map, libc inside it. */
static void test_static(void)
{
	struct xs_objects *o = NULL;
	struct xs_symbol_info si;
	struct child c;
	int rc;

	printf("# static executable\n");
	if (child_start(&c, "prog_static")) {
		check(0, "prog_static runs");
		child_stop(&c);
		return;
	}
	if (!scan(&c, &o)) {
		check(o->n == 1 && o->v[0].bias == 0, "one object, bias 0 (%zu objects)", o->n);
		expect_addr(o, &o->v[0], "global_fn", child_val(&c, "global_fn"), "static");
		expect_addr(o, &o->v[0], "a.c#helper", child_val(&c, "a_helper"), "static");
		expect_addr(o, &o->v[0], "stderr", child_val(&c, "stderr"), "static");
		rc = resolve(o, &o->v[0], "memcpy", &si);
		check(rc == 0 && si.type == STT_GNU_IFUNC && si.obj == &o->v[0],
		      "static memcpy is an IFUNC in the executable (rc %d, type %u)", rc, si.type);
	}
	xs_objects_free(o);
	child_stop(&c);
}

/* 100,000 symbols: first lookup loads and sorts them, the next 1000 are searches. */
static void test_big(void)
{
	struct xs_objects *o = NULL;
	struct xs_symbol_info si;
	long long t0, t1, t2;
	uint64_t f0;
	size_t good = 0;
	struct child c;
	char name[32];

	printf("# executable with 100000 symbols\n");
	if (child_start(&c, "prog_big")) {
		check(0, "prog_big runs");
		child_stop(&c);
		return;
	}
	f0 = child_val(&c, "f0");
	t0 = xs_now_us();
	if (!scan(&c, &o)) {
		t1 = xs_now_us();
		expect_addr(o, &o->v[0], "f99999", child_val(&c, "f99999"), "100k symbols");
		t2 = xs_now_us();
		printf("# scan %lld us, first lookup (reads 100k symbols) %lld us\n", t1 - t0,
		       t2 - t1);
		t1 = xs_now_us();
		for (int i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "f%d", i * 97);
			if (!xs_objects_resolve(o, &o->v[0], name, &si) &&
			    si.addr == f0 + (uint64_t)i * 97)
				good++;
		}
		t2 = xs_now_us();
		check(good == 1000 && t2 - t1 < 100000,
		      "100k symbols: %zu/1000 lookups right, in %lld us", good, t2 - t1);
	}
	xs_objects_free(o);
	child_stop(&c);
}

static void test_errors(void)
{
	struct xs_objects *o = (struct xs_objects *)1;
	struct xs_build_id id;
	char path[256];
	int rc;

	printf("# errors\n");
	xs_error_clear();
	rc = xs_objects_scan(0x3ffffff0, &o);
	check(rc == -ESRCH && o == NULL, "scan of no process: rc %d (%s)", rc, xs_error_message());
	snprintf(path, sizeof(path), "%s/a.c", dir);
	xs_error_clear();
	rc = xs_file_build_id(path, &id);
	check(rc == -ENOEXEC && strstr(xs_error_message(), "a.c"),
	      "build-id of a C file: rc %d (%s)", rc, xs_error_message());
}

int main(void)
{
	long long t0 = xs_now_ms();
	char libpath[128];

	snprintf(dir, sizeof(dir), "/tmp/xs-test-objects-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (build_all()) {
		check(0, "test programs build in %s", dir);
	} else {
		printf("# test programs built in %lld ms\n", xs_now_ms() - t0);
		snprintf(libpath, sizeof(libpath), "%s", dir);
		setenv("LD_LIBRARY_PATH", libpath, 1);
		test_pie();
		test_nopie();
		test_stripped();
		test_deleted();
		test_static();
		test_big();
		test_errors();
	}
	run("rm -rf '%s'", dir);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
