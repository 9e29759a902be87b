/* SPDX-License-Identifier: MIT */
/*
 * A target object's DWARF: opening it (the file's own, else its debug file
 * by build-id, looked up as its symbols are) and the facts about DIEs the
 * copies check needs. libdw does the reading; bounds here keep hostile
 * DWARF from sending us round in circles.
 */
#include "symbols/debuginfo.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "symbols/objects_priv.h"

#define MAX_ORIGIN_HOPS 8 /* DW_AT_abstract_origin chain (LTO makes two) */
#define MAX_NESTING 8     /* namespaces searched for a subprogram */

/* --- opening ------------------------------------------------------------------------ */

static bool has_debug_info(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return true;
	}
	return false;
}

int xs_debuginfo_open(struct xs_object *obj, struct xs_debuginfo *d)
{
	char *tried = NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	rc = xs_obj_elf_open(obj->open_path, &d->fd, &d->elf);
	if (rc)
		return xs_fail(rc, "%s: cannot read %s", obj->path, obj->open_path);
	if (has_debug_info(d->elf)) {
		d->path = strdup(obj->path);
	} else {
		xs_obj_elf_close(d->fd, d->elf);
		d->fd = -1;
		d->elf = NULL;
		rc = xs_obj_debug_open(obj, obj->pid, has_debug_info, &d->path, &d->fd, &d->elf,
		                       &tried);
		if (rc == -ENOENT)
			rc = asprintf(&d->why, "no .debug_info in it, no debug file %s",
			              tried ? tried : "(it has no build-id)") < 0 ?
			         -ENOMEM :
			         0;
		free(tried);
		if (rc || !d->path)
			return rc ? xs_fail(rc, "%s: out of memory", obj->path) : 0;
	}
	if (!d->path)
		return xs_fail(-ENOMEM, "%s: out of memory", obj->path);
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dw &&
	    asprintf(&d->why, "its DWARF in %s is unreadable (%s)", d->path, dwarf_errmsg(-1)) < 0)
		return xs_fail(-ENOMEM, "%s: out of memory", obj->path);
	return 0;
}

void xs_debuginfo_close(struct xs_debuginfo *d)
{
	if (d->dw)
		dwarf_end(d->dw);
	xs_obj_elf_close(d->fd, d->elf);
	free(d->path);
	free(d->why);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* --- DIEs ---------------------------------------------------------------------------- */

/* Follow DW_AT_abstract_origin (or a call site's origin attribute) to its end. */
const void *xs_die_root(Dwarf_Die *die, unsigned first_attr, Dwarf_Die *root)
{
	Dwarf_Attribute a;
	Dwarf_Die cur = *die;
	unsigned attr = first_attr;

	for (int i = 0; i < MAX_ORIGIN_HOPS && dwarf_attr(&cur, attr, &a); i++) {
		Dwarf_Die next;

		if (!dwarf_formref_die(&a, &next))
			break;
		cur = next;
		attr = DW_AT_abstract_origin;
	}
	if (root)
		*root = cur;
	return cur.addr;
}

/* A link-time address inside the DIE's code: entry pc, else its first range. */
bool xs_die_code_addr(Dwarf_Die *die, Dwarf_Addr *pc)
{
	Dwarf_Addr base, start, end;

	if (dwarf_entrypc(die, pc) == 0)
		return true;
	if (dwarf_ranges(die, 0, &base, &start, &end) > 0) {
		*pc = start;
		return true;
	}
	return false;
}

const char *xs_die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a))
		s = dwarf_formstring(&a);
	if (!s && dwarf_attr_integrate(die, DW_AT_name, &a))
		s = dwarf_formstring(&a);
	return s;
}

bool xs_die_external(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	bool flag = false;

	return dwarf_attr_integrate(die, DW_AT_external, &a) && !dwarf_formflag(&a, &flag) && flag;
}

/* Path relative to the unit's build directory when under it. */
static char *rel_path(Dwarf_Die *cu, const char *path)
{
	Dwarf_Attribute a;
	const char *dir = dwarf_attr(cu, DW_AT_comp_dir, &a) ? dwarf_formstring(&a) : NULL;
	size_t len = dir ? strlen(dir) : 0;

	if (len && !strncmp(path, dir, len) && path[len] == '/')
		path += len + 1;
	return strdup(path);
}

/* Source file and line of a DIE's DW_AT_call_file/DW_AT_call_line. */
void xs_die_call_line(Dwarf_Die *die, char **file, unsigned *line)
{
	Dwarf_Attribute a;
	Dwarf_Word idx, ln;
	Dwarf_Files *files;
	Dwarf_Die cu;
	size_t nfiles;
	const char *f;

	*file = NULL;
	*line = 0;
	if (dwarf_attr(die, DW_AT_call_line, &a) && !dwarf_formudata(&a, &ln))
		*line = (unsigned)ln;
	if (!dwarf_attr(die, DW_AT_call_file, &a) || dwarf_formudata(&a, &idx) ||
	    !dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) ||
	    idx >= nfiles || !(f = dwarf_filesrc(files, idx, NULL, NULL)))
		return;
	*file = rel_path(&cu, f);
}

/* Source file and line of the code at pc in the line table of die's unit. */
void xs_die_pc_line(Dwarf_Die *die, Dwarf_Addr pc, char **file, unsigned *line)
{
	Dwarf_Line *l;
	Dwarf_Die cu;
	const char *f;
	int ln = 0;

	*file = NULL;
	*line = 0;
	if (!dwarf_diecu(die, &cu, NULL, NULL) || !(l = dwarf_getsrc_die(&cu, pc)))
		return;
	if (!dwarf_lineno(l, &ln) && ln > 0)
		*line = (unsigned)ln;
	f = dwarf_linesrc(l, NULL, NULL);
	if (f)
		*file = rel_path(&cu, f);
}

static bool find_in(Dwarf_Die *parent, Dwarf_Addr a, Dwarf_Die *out, int depth)
{
	Dwarf_Die c;

	if (depth > MAX_NESTING || dwarf_child(parent, &c) != 0)
		return false;
	do {
		int tag = dwarf_tag(&c);

		if (tag == DW_TAG_subprogram && dwarf_haspc(&c, a) == 1) {
			*out = c;
			return true;
		}
		if ((tag == DW_TAG_namespace || tag == DW_TAG_module) &&
		    find_in(&c, a, out, depth + 1))
			return true;
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

/* The concrete subprogram DIE whose code holds a (link-time). */
bool xs_dwarf_subprogram_at(Dwarf *dw, Dwarf_Addr a, Dwarf_Die *out)
{
	Dwarf_Die cudie, subdie;
	Dwarf_CU *cu;
	uint8_t type;

	if (dwarf_addrdie(dw, a, &cudie) && find_in(&cudie, a, out, 0))
		return true;
	/* No .debug_aranges entry: every unit that says it holds a, then every unit. */
	for (int pass = 0; pass < 2; pass++) {
		cu = NULL;
		while (dwarf_get_units(dw, cu, &cu, NULL, &type, &cudie, &subdie) == 0) {
			if (type == DW_UT_skeleton && dwarf_tag(&subdie) == DW_TAG_compile_unit)
				cudie = subdie;
			else if (type != DW_UT_compile)
				continue;
			if ((pass == 1 || dwarf_haspc(&cudie, a) == 1) &&
			    find_in(&cudie, a, out, 0))
				return true;
		}
	}
	return false;
}

Dwarf_Word xs_die_inline(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word v = DW_INL_not_inlined;

	if (dwarf_attr(die, DW_AT_inline, &a) && dwarf_formudata(&a, &v))
		v = DW_INL_not_inlined;
	return v;
}

/* The unit DIE die belongs to (its address, an identity), and its source name. */
const void *xs_die_unit(Dwarf_Die *die, char **name)
{
	Dwarf_Die cu;
	const char *n;

	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return NULL;
	if (name && (n = dwarf_diename(&cu)))
		*name = rel_path(&cu, n);
	return cu.addr;
}
