/* SPDX-License-Identifier: MIT */
/*
 * Loader: lays a payload out in one mapping (text r-x | rodata r-- | data rw- |
 * per-function state rw-), links it for a given base address and resolved
 * external symbols, and produces the exact bytes to write into the target.
 * Pure computation: knows nothing of processes.
 */
#ifndef XS_LOADER_H
#define XS_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "payload/payload.h"

struct xs_image {
	/* Filled by xs_image_layout: offsets from base, regions page-aligned. */
	size_t size;      /* whole mapping */
	size_t text_size; /* text region starts at 0 */
	size_t ro_off, ro_size;
	size_t rw_off, rw_size;
	size_t fstate_off, fstate_size;
	size_t *sec_off;             /* by section index; SIZE_MAX when not loaded */
	size_t got_off, ngot;        /* GOT slots (in rodata, read-only once linked) */
	size_t veneer_off, nveneers; /* far-call veneers (in text) */
	size_t stub_off;      /* the return stub of injected calls (xs_arch_return_stub), in text */
	uint32_t *sym_got;    /* by symbol index: GOT slot + 1, 0 when none */
	uint32_t *sym_veneer; /* by symbol index: veneer + 1, 0 when none */
	/* Set by the caller (optional), by symbol index: the object an undefined
	 * symbol resolved in, NULL when unknown; named when it is out of reach. */
	const char **sym_obj;
	/* Filled by xs_image_link. */
	uint64_t base;
	unsigned char *bytes; /* size bytes: what the target gets */
};

int xs_image_layout(const struct xs_payload *p, struct xs_image *img);

/*
 * Link at base. symval[i] holds the runtime value of each undefined symbol i
 * (resolved by the caller); on return every symbol has its value. Errors
 * name the payload, the section, the offset and the symbol.
 */
int xs_image_link(const struct xs_payload *p, struct xs_image *img, uint64_t base,
                  uint64_t *symval);

/* Runtime address of a loaded section (0 when not loaded). */
uint64_t xs_image_sec_addr(const struct xs_image *img, unsigned shndx);

void xs_image_free(struct xs_image *img);

#endif
