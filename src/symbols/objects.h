/* SPDX-License-Identifier: MIT */
/*
 * Target objects and their symbols: the executable and every shared library
 * mapped in a process, found through /proc/<pid>/maps, identified by
 * build-id, read from disk (never from the target) through
 * /proc/<pid>/map_files so chroots and other mount namespaces just work.
 */
#ifndef XS_OBJECTS_H
#define XS_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "payload/payload.h" /* struct xs_build_id */

struct xs_symtab; /* private to objects.c */

struct xs_object {
	char *path;          /* as shown in /proc/<pid>/maps */
	char *open_path;     /* what we open to read it */
	uint64_t bias;       /* load bias: runtime address = st_value + bias */
	uint64_t start, end; /* lowest and highest mapped address (end exclusive) */
	struct xs_build_id build_id;
	bool is_main;             /* the executable */
	pid_t pid;                /* the process it is mapped in; 0 for xs_object_open_file */
	struct xs_symtab *symtab; /* loaded on first lookup */
};

struct xs_objects {
	pid_t pid;
	size_t n;
	struct xs_object *v; /* global scope order: executable first, then link-map order */
};

/* Where a symbol lives in the running process. */
struct xs_symbol_info {
	uint64_t addr; /* runtime address (for IFUNC: of the resolver) */
	uint64_t size;
	unsigned type; /* STT_FUNC, STT_OBJECT, STT_GNU_IFUNC, STT_TLS, ... */
	unsigned bind;
	struct xs_object *obj;
};

int xs_objects_scan(pid_t pid, struct xs_objects **out);
void xs_objects_free(struct xs_objects *objs);

/* The object with this build-id, or NULL. */
struct xs_object *xs_objects_by_build_id(struct xs_objects *objs, const struct xs_build_id *id);
/* The object whose mapping contains addr, or NULL. */
struct xs_object *xs_objects_by_addr(struct xs_objects *objs, uint64_t addr);

/*
 * Look a symbol up in one object: name is "sym" or "file.c#sym" (file-local,
 * matched against the STT_FILE symbol before it in .symtab, by base name or
 * full path). Uses .symtab, else the separate debug file found by build-id
 * under /usr/lib/debug/.build-id/, plus .dynsym. Plain names prefer a global
 * definition; a unique local one is accepted. -XS_ERRNO__NO_SYMBOL if absent, -ENOTUNIQ if
 * ambiguous (message names the candidates' files).
 */
int xs_object_lookup(struct xs_object *obj, const char *name, struct xs_symbol_info *out);

/*
 * Resolve a payload's reference as the dynamic linker would: "file.c#sym" in
 * `home` (the patched object) only; a plain name in the global scope
 * (executable first, so a copy-relocated variable resolves to the copy), then
 * a unique local definition in `home`. Undefined and STT_TLS results are
 * reported as they are: callers refuse or handle them.
 */
int xs_objects_resolve(struct xs_objects *objs, struct xs_object *home, const char *name,
                       struct xs_symbol_info *out);

/*
 * An ELF file on disk as an object (bias 0: runtime addresses are link-time
 * ones), for reading its symbols before any process runs it (`xsplice cc`).
 * Free with xs_object_free.
 */
int xs_object_open_file(const char *path, struct xs_object **out);
void xs_object_free(struct xs_object *obj);

/*
 * The function symbol whose [start, start + size) holds runtime address addr
 * (.symtab, else .dynsym; among aliases a plain name wins): *name points into
 * the object's symbol cache, *start is its runtime address. -ENOENT (no
 * message) when no function symbol holds it.
 */
int xs_object_func_at(struct xs_object *obj, uint64_t addr, const char **name, uint64_t *start);

/*
 * Every .symtab function named "sym.SUFFIX" for function `name` ("sym", or
 * "file.c#sym": then only the locals of that file), in symbol-table order:
 * what GCC calls its copies (sym.constprop.0, sym.part.1, ...) and its own
 * parts (sym.cold). fn gets the whole name, the suffix and the runtime
 * address; a non-zero return stops the walk and is returned.
 */
int xs_object_each_suffixed(struct xs_object *obj, const char *name,
                            int (*fn)(void *ctx, const char *sym, const char *suffix,
                                      uint64_t addr),
                            void *ctx);

/* Does obj import (an undefined .dynsym entry) one of names? *hit: that
 * name, or NULL. */
int xs_object_imports(struct xs_object *obj, const char *const *names, size_t n, const char **hit);

/* Build-id of an ELF file on disk. */
int xs_file_build_id(const char *path, struct xs_build_id *out);

/* len bytes of the code an ELF file on disk maps at link-time address vaddr
 * (inside one executable PT_LOAD's file image, else -ENOENT) (file_code.c). */
int xs_file_code(const char *path, uint64_t vaddr, unsigned char *buf, size_t len);

#endif
