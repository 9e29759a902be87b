/* SPDX-License-Identifier: MIT */
/*
 * A target object's DWARF, read with libdw: found in the file itself or in
 * its debug file by build-id, and the few facts about DIEs the copies check
 * asks (origin, code address, name, unit, source line). Reads files only.
 */
#ifndef XS_DEBUGINFO_H
#define XS_DEBUGINFO_H

#include <elfutils/libdw.h>
#include <stdbool.h>

#include "symbols/objects.h"

/* An object's DWARF, filled by xs_debuginfo_open. */
struct xs_debuginfo {
	Dwarf *dw;  /* NULL: none */
	char *path; /* the file it is read from */
	char *why;  /* dw NULL: why, naming the debug file looked for */
	int fd;
	Elf *elf;
};

/* Open obj's DWARF: its own .debug_info, else its debug file by build-id.
 * No DWARF is not an error (d->dw NULL, d->why); -errno when obj cannot be
 * read or out of memory. Close with xs_debuginfo_close in both cases. */
int xs_debuginfo_open(struct xs_object *obj, struct xs_debuginfo *d);
void xs_debuginfo_close(struct xs_debuginfo *d);

/* The concrete DW_TAG_subprogram whose code holds link-time address a. */
bool xs_dwarf_subprogram_at(Dwarf *dw, Dwarf_Addr a, Dwarf_Die *out);

/* Follow first_attr (DW_AT_abstract_origin, or a call site's origin), then
 * DW_AT_abstract_origin, to the end (8 hops at most); the end's address in
 * the mapped DWARF identifies it. */
const void *xs_die_root(Dwarf_Die *die, unsigned first_attr, Dwarf_Die *root);
/* A link-time address in the DIE's code: its entry pc, else its first range. */
bool xs_die_code_addr(Dwarf_Die *die, Dwarf_Addr *pc);
/* DW_AT_linkage_name, else DW_AT_name, through origins; NULL if none. */
const char *xs_die_name(Dwarf_Die *die);
bool xs_die_external(Dwarf_Die *die);
/* DW_AT_inline, DW_INL_not_inlined when absent. */
Dwarf_Word xs_die_inline(Dwarf_Die *die);
/* The unit the DIE is in (an identity), and its source file (malloc'd, may stay NULL). */
const void *xs_die_unit(Dwarf_Die *die, char **name);
/* File and line of DW_AT_call_file/DW_AT_call_line; of the line table at pc.
 * *file malloc'd (relative to the unit's build directory) or NULL, *line 0
 * when unknown. */
void xs_die_call_line(Dwarf_Die *die, char **file, unsigned *line);
void xs_die_pc_line(Dwarf_Die *die, Dwarf_Addr pc, char **file, unsigned *line);

#endif
