/* SPDX-License-Identifier: MIT */
/*
 * Shared by the readers of a target object's files: objects.c (maps, link
 * map, build-ids), symtab.c (symbol tables and lookup) and copies.c (its
 * DWARF): opening ELF files and debug files read-only, and the per-object
 * symbol cache. Not for use elsewhere.
 */
#ifndef XS_OBJECTS_PRIV_H
#define XS_OBJECTS_PRIV_H

#include <gelf.h>
#include <stdbool.h>
#include <sys/types.h>

#include "symbols/objects.h"

/* Open an ELF file read-only (libelf on the fd). -errno, no message:
 * -ENOEXEC when it is not ELF. */
int xs_obj_elf_open(const char *path, int *fd, Elf **elf);
void xs_obj_elf_close(int fd, Elf *elf);

/* NT_GNU_BUILD_ID from SHT_NOTE sections, else PT_NOTE segments. -ENOENT if none. */
int xs_obj_elf_build_id(Elf *elf, struct xs_build_id *out);

/*
 * The separate debug file of obj: <root>/.build-id/xx/rest.debug, root being
 * $XSPLICE_DEBUG_ROOT or /usr/lib/debug, looked for in our file system, then
 * in the target's (/proc/<pid>/root: containers; pid 0: not). Only a file
 * with obj's build-id that want(elf) accepts (NULL: any) is taken. 0 with
 * *path (malloc'd) and the open file; -ENOENT (no message) with *tried
 * (malloc'd, may be NULL; tried may be NULL) naming the first path looked at;
 * -ENOMEM with a message.
 */
int xs_obj_debug_open(const struct xs_object *obj, pid_t pid, bool (*want)(Elf *elf), char **path,
                      int *fd, Elf **elf, char **tried);

/* The per-object symbol cache (symtab.c); pid lets it look for debug files
 * under /proc/<pid>/root too (0: only in our own root). Nothing is read yet. */
struct xs_symtab *xs_symtab_new(pid_t pid);
void xs_symtab_free(struct xs_symtab *st);

#endif
