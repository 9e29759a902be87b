/* SPDX-License-Identifier: MIT */
/*
 * Copies of a function's code that the jump at its entry does not reach:
 * where GCC inlined it (DW_TAG_inlined_subroutine), its clones (.constprop,
 * .isra, .part: concrete DWARF instances of the same function, and .symtab
 * names) and the calls into them (DW_TAG_call_site). Reads the object's own
 * .debug_info, else its debug file found by build-id. Changes nothing.
 */
#ifndef XS_COPIES_H
#define XS_COPIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/objects.h"

/* One function a payload replaces. The caller fills name and addr. */
struct xs_copy_func {
	const char *name; /* as the payload names it: "sym" or "file.c#sym" */
	uint64_t addr;    /* runtime address of its entry */
	bool described;   /* set by xs_copies_find: DWARF describes the code at addr */
};

enum xs_copy_kind {
	XS_COPY_INLINED, /* its body inlined into `holder` (perhaps folded away) */
	XS_COPY_CALL,    /* `holder` calls `copy`, a clone of it */
	XS_COPY_CLONE,   /* `copy`, a clone of it, with no call DWARF tells of */
	XS_COPY_HIDDEN,  /* GCC says it inlined it (DW_AT_inline) in `file`'s unit, and
			  * no DIE shows where: folded into callers' code */
};

/* One copy; every string is malloc'd (names come from the target's files:
 * hostile, print them escaped). */
struct xs_copy {
	enum xs_copy_kind kind;
	size_t func;   /* index into the xs_copy_func array */
	char *holder;  /* INLINED, CALL: the function holding it (symbol name, else DWARF's) */
	char *via;     /* INLINED: the functions it was inlined through, innermost first, or NULL */
	char *copy;    /* CALL, CLONE: the clone's name */
	uint64_t addr; /* runtime address: of the inlined code or the call; of the clone */
	char *file;    /* source file of the call (relative to its build directory), or NULL;
			* HIDDEN: the unit's source file */
	unsigned line; /* line of the call; 0 when unknown */
	bool maybe;    /* HIDDEN while the payload replaces other functions of that unit
			* (perhaps those callers): not proof of a copy left */
};

/* What xs_copies_find found; filled by it. */
struct xs_copies {
	size_t n;
	struct xs_copy *v;
	size_t more;    /* copies found past the ones kept in v (a bound on output) */
	size_t skipped; /* copies in code the same payload replaces too (not in v) */
	char *dwarf;    /* the file whose DWARF was read; NULL: none */
	char *no_dwarf; /* when dwarf is NULL: why, naming what was looked for */
};

/*
 * Find the copies of funcs[0..nfuncs) in obj, leaving out those inside code
 * the same payload replaces too (replaced[0..nreplaced): runtime entries of
 * every function it replaces): a copy inlined into a replaced caller, a call
 * from a replaced caller, a replaced clone. An object without DWARF is not an
 * error: out->dwarf stays NULL, and only clone symbols are looked for.
 */
int xs_copies_find(struct xs_object *obj, struct xs_copy_func *funcs, size_t nfuncs,
                   const uint64_t *replaced, size_t nreplaced, struct xs_copies *out);
void xs_copies_free(struct xs_copies *c);

#endif
