/* SPDX-License-Identifier: MIT */
/*
 * xsplice payload ABI: the only header a payload author includes.
 * A payload is an ELF relocatable object (ET_REL) built by `xsplice cc`.
 * This file must stay usable from C without any other xsplice header.
 */
#ifndef XSPLICE_PAYLOAD_H
#define XSPLICE_PAYLOAD_H

#include <stdint.h>

/* Version of struct xsplice_func; the loader refuses any other value. */
#define XSPLICE_FUNC_VERSION 1

/* Largest "expect" block, and largest in-place NOP patch. */
#define XSPLICE_EXPECT_MAX 32

/* Section names the loader looks for. */
#define XSPLICE_FUNCS_SECTION ".xsplice.funcs"
#define XSPLICE_NOTE_SECTION ".note.xsplice"
#define XSPLICE_HOOK_SECTION_PREFIX ".xsplice.hooks."

/* An undefined symbol of this name is resolved to one word per process, kept
 * by xsplice for payload code and shared by every payload: the anchor of
 * the shadow variables' table (xsplice/shadow.h). */
#define XSPLICE_SHADOW_ANCHOR "xsplice__shadow_anchor"

/* ELF note name and types in .note.xsplice (the payload's own build-id is
 * the usual NT_GNU_BUILD_ID note in .note.gnu.build-id). */
#define XSPLICE_NOTE_NAME "XSPLICE"
#define XSPLICE_NOTE_TARGET 1  /* build-id of the object this payload patches */
#define XSPLICE_NOTE_DEPENDS 2 /* build-id of a payload that must be applied */

/* Old bytes that must be found at the old function (after any endbr64).
 * `xsplice cc` (from --target) and `xsplice build` fill in the target's own
 * bytes when the author gives none (XSPLICE_REPLACE_EXPECT). */
struct xsplice_expect {
	uint8_t enabled; /* 0 or 1 */
	uint8_t len;     /* 1..XSPLICE_EXPECT_MAX when enabled */
	uint8_t pad[6];  /* must be zero */
	uint8_t data[XSPLICE_EXPECT_MAX];
};

/*
 * One function to patch. Filled in by the author (through the macros below)
 * and by the loader (old_addr, old_size when zero). Read-only in the target
 * once loaded: the engine's per-function state lives elsewhere (seed 001).
 * Layout is fixed: 128 bytes on LP64.
 */
struct xsplice_func {
	const char *name;  /* old symbol: "sym" or "file.c#sym" (file-local) */
	void *new_addr;    /* replacement; NULL = NOP out new_size bytes in place */
	void *old_addr;    /* filled by the loader when zero */
	uint32_t new_size; /* size of replacement, or bytes to NOP */
	uint32_t old_size; /* filled by the loader when zero */
	uint8_t version;   /* XSPLICE_FUNC_VERSION */
	uint8_t pad[23];   /* must be zero */
	struct xsplice_expect expect;
	uint8_t pad2[32]; /* must be zero */
};

_Static_assert(sizeof(struct xsplice_func) == 128, "xsplice_func ABI size");

/* Hooks: int fn(void). A non-zero return of a pre_* hook vetoes the action. */
typedef int (*xsplice_hook_fn)(void);

/* clang-format off: the macros are laid out by hand */
#define XSPLICE__CAT2(a, b) a##b
#define XSPLICE__CAT(a, b) XSPLICE__CAT2(a, b)
#define XSPLICE__UNIQUE(p) XSPLICE__CAT(p, __COUNTER__)

#define XSPLICE__FUNC(sym_name, new_fn, nsize, ...)                                                \
	__attribute__((used, section(XSPLICE_FUNCS_SECTION),                                       \
	               aligned(8))) static const struct xsplice_func                               \
	XSPLICE__UNIQUE(xsplice_func_) = { .name = sym_name,                                       \
		                           .new_addr = (void *)(new_fn),                           \
		                           .new_size = (nsize),                                    \
		                           .version = XSPLICE_FUNC_VERSION,                        \
		                           __VA_ARGS__ }

/* Replace global function OLD (the target's symbol) with NEW (ours). */
#define XSPLICE_REPLACE(old, new_fn) XSPLICE__FUNC(#old, new_fn, 0)

/* Replace file-local (static) function OLD defined in source file FILE. */
#define XSPLICE_REPLACE_LOCAL(file, old, new_fn) XSPLICE__FUNC(file "#" #old, new_fn, 0)

/* Overwrite the first SIZE bytes (after endbr64) of OLD with NOPs. */
#define XSPLICE_NOP(old, size) XSPLICE__FUNC(#old, 0, size)

/* Replace OLD, but only if its first bytes are exactly the given ones. */
#define XSPLICE_REPLACE_EXPECT(old, new_fn, ...)                                                   \
	XSPLICE__FUNC(#old, new_fn, 0,                                                             \
	              .expect = { .enabled = 1,                                                    \
	                          .len = sizeof((uint8_t[]){ __VA_ARGS__ }),                       \
	                          .data = { __VA_ARGS__ } })

/*
 * Reach the target's own symbols from payload code. Globals need nothing:
 * declare them extern as usual. A file-local one is named by its source file:
 *   extern int counter XSPLICE_LOCAL_SYM("server.c", counter);
 *   static int parse(const char *) XSPLICE_LOCAL_SYM("server.c", parse);
 */
#define XSPLICE_LOCAL_SYM(file, sym) __asm__("\"" file "#" #sym "\"")

#define XSPLICE__HOOK(kind, fn)                                                                    \
	__attribute__((used, section(XSPLICE_HOOK_SECTION_PREFIX #kind),                           \
	               aligned(8))) static const xsplice_hook_fn                                   \
	XSPLICE__UNIQUE(xsplice_hook_##kind##_) = (fn)

#define XSPLICE_LOAD_HOOK(fn) XSPLICE__HOOK(load, fn)
#define XSPLICE_UNLOAD_HOOK(fn) XSPLICE__HOOK(unload, fn)
#define XSPLICE_PRE_APPLY_HOOK(fn) XSPLICE__HOOK(pre_apply, fn)
#define XSPLICE_APPLY_HOOK(fn) XSPLICE__HOOK(apply, fn)
#define XSPLICE_POST_APPLY_HOOK(fn) XSPLICE__HOOK(post_apply, fn)
#define XSPLICE_PRE_REVERT_HOOK(fn) XSPLICE__HOOK(pre_revert, fn)
#define XSPLICE_REVERT_HOOK(fn) XSPLICE__HOOK(revert, fn)
#define XSPLICE_POST_REVERT_HOOK(fn) XSPLICE__HOOK(post_revert, fn)
/* clang-format on */

#endif /* XSPLICE_PAYLOAD_H */
