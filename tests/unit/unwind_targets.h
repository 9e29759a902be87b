/* SPDX-License-Identifier: MIT */
/*
 * Sources of the target programs tests/unit/test_unwind.c builds at run time
 * (kept apart so the test itself stays readable). Included once, by it.
 */
#ifndef XS_TEST_UNWIND_TARGETS_H
#define XS_TEST_UNWIND_TARGETS_H

/*
 * (1) main -> outer -> middle -> inner, spinning; no frame pointers. Modes:
 * "sig": inner raises a signal whose handler spins in hspin (a signal frame
 * on the stack); "vdso": inner spins calling clock_gettime (PCs in the vDSO).
 */
static const char chain_c[] =
    "#include <signal.h>\n#include <stdio.h>\n#include <string.h>\n#include <time.h>\n"
    "volatile int stop;\nvolatile unsigned long sink;\n"
    "__attribute__((noipa)) void hspin(int x) { while (!stop) sink += x; }\n"
    "__attribute__((noipa)) void handler(int sig) { hspin(sig); sink++; }\n"
    "__attribute__((noipa)) unsigned long inner(int x) {\n"
    "	struct timespec ts;\n"
    "	if (x == 1000) raise(SIGUSR1);\n"
    "	while (!stop) {\n"
    "		if (x == 2000) { clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec; }\n"
    "		else sink += x;\n"
    "	}\n"
    "	return sink;\n"
    "}\n"
    /* deep: 6000 bytes between inner's frame and outer's, past any stack top */
    "__attribute__((noipa)) unsigned long middle(int x) {\n"
    "	volatile char *pad = __builtin_alloca(x == 3002 ? 6000 : 16);\n"
    "	pad[0] = 1;\n"
    "	unsigned long r = inner(x + 1); return r * 3 + sink + pad[0];\n"
    "}\n"
    "__attribute__((noipa)) unsigned long outer(int x) { unsigned long r = middle(x + 1); return r * 5 + sink; }\n"
    "int main(int argc, char **argv) {\n"
    "	const char *mode = argc > 1 ? argv[1] : \"\";\n"
    "	signal(SIGUSR1, handler);\n"
    "	printf(\"main %p\\n\", (void *)main); fflush(stdout);\n"
    "	return (int)outer(!strcmp(mode, \"sig\") ? 998 : !strcmp(mode, \"vdso\") ? 1998 :\n"
    "	                  !strcmp(mode, \"deep\") ? 3001 : 1);\n"
    "}\n";

/* (2) N threads sleeping in nanosleep called from sleeper(). */
static const char threads_c[] =
    "#include <pthread.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n#include <unistd.h>\n"
    "static int started;\n"
    "__attribute__((noipa)) void sleeper(int i) {\n"
    "	struct timespec ts = { 1000, 0 };\n"
    "	for (;;) { nanosleep(&ts, NULL); if (i < 0) break; }\n}\n"
    "static void *thr(void *a) { __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST); sleeper((int)(long)a); return NULL; }\n"
    "int main(int argc, char **argv) {\n"
    "	int n = argc > 1 ? atoi(argv[1]) : 4;\n"
    "	pthread_t *t = calloc(n, sizeof(*t));\n"
    "	pthread_attr_t attr; pthread_attr_init(&attr); pthread_attr_setstacksize(&attr, 256 * 1024);\n"
    "	for (int i = 0; i < n; i++) if (pthread_create(&t[i], &attr, thr, (void *)(long)i)) return 1;\n"
    "	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n) usleep(1000);\n"
    "	printf(\"main %p\\nready\\n\", (void *)main); fflush(stdout);\n"
    "	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);\n"
    "	return 0;\n"
    "}\n";

/*
 * (3) payload-like code: pl_func calls back into the target, pl_spin spins.
 * Its data is static: reached pc-relatively, so the copy uses its own.
 */
static const char pl_c[] =
    "extern int target_sleep(int);\n"
    "static volatile int pl_sink, pl_stop;\n"
    "__attribute__((noipa)) int pl_func(int x) { int r = target_sleep(x + 1); return r * 7 + pl_sink; }\n"
    "__attribute__((noipa)) int pl_spin(int x) { while (!pl_stop) pl_sink += x; return pl_sink; }\n";

/*
 * The target copies pl.so's loaded segments into one anonymous RWX mapping
 * (keeping their distances, so pc-relative code, the resolved GOT and the
 * pc-relative .eh_frame stay valid), closes the original and runs the copy:
 * code in anonymous memory with no file behind it, like a loaded payload.
 * The target keeps frame pointers, the payload does not: %rbp in payload code
 * still points at a valid target frame, so a frame-pointer fallback would
 * silently skip a frame rather than fail (the case (4) must catch).
 */
static const char payload_c[] =
    "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <link.h>\n#include <pthread.h>\n#include <stdint.h>\n"
    "#include <stdio.h>\n#include <string.h>\n#include <sys/mman.h>\n#include <time.h>\n"
    "volatile int target_stop, sink;\n"
    "__attribute__((noipa)) int target_sleep(int x) {\n"
    "	struct timespec ts = { 1000, 0 };\n"
    "	printf(\"ready\\n\"); fflush(stdout);\n"
    "	while (!target_stop) nanosleep(&ts, NULL);\n"
    "	return x;\n"
    "}\n"
    "__attribute__((noipa)) int call_payload(int (*f)(int), int x) { int r = f(x); return r + 1 + sink; }\n"
    "static void *spin_thr(void *a) { call_payload((int (*)(int))a, 3); return NULL; }\n"
    "static const ElfW(Phdr) *ph; static int phnum; static uintptr_t base;\n"
    "static int find(struct dl_phdr_info *i, size_t s, void *a) {\n"
    "	(void)s; (void)a;\n"
    "	size_t l = strlen(i->dlpi_name);\n"
    "	if (l < 5 || strcmp(i->dlpi_name + l - 5, \"pl.so\")) return 0;\n"
    "	ph = i->dlpi_phdr; phnum = i->dlpi_phnum; base = i->dlpi_addr; return 1;\n"
    "}\n"
    "int main(int argc, char **argv) {\n"
    "	void *h = dlopen(argc > 1 ? argv[1] : \"./pl.so\", RTLD_NOW);\n"
    "	if (!h || !dl_iterate_phdr(find, NULL)) return 2;\n"
    "	uintptr_t lo = UINTPTR_MAX, hi = 0;\n"
    "	for (int i = 0; i < phnum; i++) if (ph[i].p_type == PT_LOAD) {\n"
    "		if (ph[i].p_vaddr < lo) lo = ph[i].p_vaddr;\n"
    "		if (ph[i].p_vaddr + ph[i].p_memsz > hi) hi = ph[i].p_vaddr + ph[i].p_memsz;\n"
    "	}\n"
    "	lo &= ~(uintptr_t)4095;\n"
    "	char *anon = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);\n"
    "	if (anon == MAP_FAILED) return 3;\n"
    "	for (int i = 0; i < phnum; i++) if (ph[i].p_type == PT_LOAD)\n"
    "		memcpy(anon + (ph[i].p_vaddr - lo), (char *)base + ph[i].p_vaddr, ph[i].p_memsz);\n"
    "	uintptr_t bias = (uintptr_t)anon - lo; /* run-time address = bias + pl.so's vaddr */\n"
    "	int (*f)(int) = (int (*)(int))(bias + ((uintptr_t)dlsym(h, \"pl_func\") - base));\n"
    "	int (*spin)(int) = (int (*)(int))(bias + ((uintptr_t)dlsym(h, \"pl_spin\") - base));\n"
    "	dlclose(h);\n"
    "	printf(\"main %p\\nplbias %p\\n\", (void *)main, (void *)bias);\n"
    "	pthread_t t;\n"
    "	if (pthread_create(&t, NULL, spin_thr, (void *)spin)) return 4;\n"
    "	return call_payload(f, 5);\n"
    "}\n";

#endif
