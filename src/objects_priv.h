/* SPDX-License-Identifier: MIT */
/*
 * Shared between objects.c (maps, link map, build-ids) and symtab.c (symbol
 * tables and lookup): opening ELF files read-only and the per-object symbol
 * cache. Not for use outside these two files.
 */
#ifndef XS_OBJECTS_PRIV_H
#define XS_OBJECTS_PRIV_H

#include <gelf.h>
#include <sys/types.h>

#include "objects.h"

/* Open an ELF file read-only (libelf on the fd). -errno, no message:
 * -ENOEXEC when it is not ELF. */
int xs_obj_elf_open(const char *path, int *fd, Elf **elf);
void xs_obj_elf_close(int fd, Elf *elf);

/* NT_GNU_BUILD_ID from SHT_NOTE sections, else PT_NOTE segments. -ENOENT if none. */
int xs_obj_elf_build_id(Elf *elf, struct xs_build_id *out);

/* The per-object symbol cache (symtab.c); pid lets it look for debug files
 * under /proc/<pid>/root too (0: only in our own root). Nothing is read yet. */
struct xs_symtab *xs_symtab_new(pid_t pid);
void xs_symtab_free(struct xs_symtab *st);

#endif
