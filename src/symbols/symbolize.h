/* SPDX-License-Identifier: MIT */
/*
 * Addresses of a process as a person reads them: "compute+0x1e (park.c:21)"
 * from the objects' symbol tables and DWARF line tables (files on disk, as
 * objects.h finds them), for messages. Made and used while the process runs:
 * reading DWARF takes far longer than any stop may.
 */
#ifndef XS_SYMBOLIZE_H
#define XS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_symbolizer;

int xs_symbolizer_new(pid_t pid, struct xs_symbolizer **out);
void xs_symbolizer_free(struct xs_symbolizer *z);

/*
 * pc as "func+0xOFF (FILE:LINE)", "func+0xOFF (OBJECT)" without line
 * information, "0xPC (OBJECT)" without a symbol, "0xPC" outside every
 * object. ret: pc is a return address, whose line is the call's (pc - 1).
 * Names are escaped (xs_text_safe): they come from files the process maps.
 */
void xs_symbolize(struct xs_symbolizer *z, uint64_t pc, bool ret, char *buf, size_t len);

#endif
