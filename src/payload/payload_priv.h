/* SPDX-License-Identifier: MIT */
/*
 * Private to the payload reader (payload*.c): the validation steps run in
 * order by xs_payload_open_mem() and the state they share while they run.
 */
#ifndef XS_PAYLOAD_PRIV_H
#define XS_PAYLOAD_PRIV_H

#include "payload/payload.h"

/* What the steps learn about the file and hand on to the next ones. */
struct xs_pl_ctx {
	struct xs_payload *p;
	unsigned shstrndx; /* section names (checked STRTAB ending in NUL) */
	unsigned symtab;   /* the one SHT_SYMTAB */
	unsigned strtab;   /* its sh_link */
};

/* Section name for messages: "" before names are checked. */
static inline const char *xs_pl_secname(const struct xs_payload *p, unsigned i)
{
	return p->sections && i < p->nsections && p->sections[i].name ? p->sections[i].name : "";
}

/* Names end up in messages: no control characters (terminal escapes) in them. */
static inline bool xs_pl_printable(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

/* payload_syms.c: step 3 (symbols) and 4 (relocations). */
int xs_pl_read_symbols(struct xs_pl_ctx *c);
int xs_pl_read_relocs(struct xs_pl_ctx *c);
/*
 * The pointer slot at off in section shndx, as for xs_payload_pointer_at(),
 * without recording a message: returns NULL, or why the slot is refused.
 */
const char *xs_pl_slot(const struct xs_payload *p, unsigned shndx, uint64_t off, uint32_t *sym,
                       int64_t *addend);
/* NULL when sym+addend is code defined in the payload, else why not. */
const char *xs_pl_code_target(const struct xs_payload *p, uint32_t sym, int64_t addend);

/* payload_funcs.c: step 5's hooks, 6 (notes) and 7 (.xsplice.funcs). */
int xs_pl_read_hooks(struct xs_pl_ctx *c);
int xs_pl_read_notes(struct xs_pl_ctx *c);
int xs_pl_read_funcs(struct xs_pl_ctx *c);

#endif
