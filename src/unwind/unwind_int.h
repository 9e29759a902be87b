/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the unwinder share, private to src/unwind/unwind*.c:
 * the unwinder itself and the few functions one part calls in another.
 * unwind.c walks; unwind_mem.c reads the stack; unwind_check.c compares the
 * two walks; unwind_objects.c sets up libdwfl; unwind_code.c adds payloads.
 */
#ifndef XS_UNWIND_INT_H
#define XS_UNWIND_INT_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/page.h"
#include "unwind/rule_rows.h"
#include "unwind/stack_snap.h"
#include "unwind/stack_tops.h"
#include "unwind/unwind.h"

#define CODE_MAGIC 0x78736377u /* "xscw": userdata of payload code modules */
#define MAX_DWARF_REGS 64
#define CACHE_PAGE XS_PAGE_MIN /* a block, never across a page */
#define CACHE_PAGES 8          /* a stack walk touches one to a few pages */
#define ROWS_FREE 512          /* rows the stop may add without allocating */

/* Payload code registered by xs_unwinder_add_code. */
struct xs_code {
	uint32_t magic;
	struct xs_code *next;
	Dwfl_Module *mod;
	uint64_t start, end;
	unsigned char *image; /* the synthesized ELF; dwfl's Elf points into it */
	size_t image_len;
};

/* The target's file mappings, to open its objects through /proc/<pid>. */
struct vma {
	uint64_t start, end;
	char *path; /* as in /proc/<pid>/maps, " (deleted)" included */
};

struct proc_files {
	uint32_t magic;
	pid_t pid;
	struct vma *v;
	size_t n;
	struct vma *exec; /* every executable mapping, in address order; no paths */
	size_t nexec;
	uint64_t vdso_start, vdso_end; /* 0, 0: none */
	unsigned char *vdso;           /* its image, read before the stop; NULL: not read */
};

struct page_cache {
	uint64_t addr; /* page address; UINT64_MAX when empty */
	unsigned char data[CACHE_PAGE];
};

struct xs_unwinder {
	pid_t pid;
	Dwfl *dwfl;
	struct xs_code *code;
	struct proc_files files;
	unsigned char ident[EI_NIDENT]; /* of the target's objects, for our ELF images */
	uint16_t machine;

	/* The walk in progress (set by xs_unwind_thread for the callbacks). */
	struct xs_target *t;
	size_t index;
	pid_t tid;
	struct xs_frame *frames;
	size_t max, n;
	char why[160];    /* first reason the walk cannot go on */
	bool read_failed; /* a stack read failed: CFI values are not trustworthy */
	bool exact_pc;    /* the next frame's PC is exact (initial or after a signal frame) */

	size_t warm_budget;       /* FDEs warm_fdes may still parse */
	unsigned nregs;           /* the architecture's frame registers (DWARF numbering) */
	size_t by_rules, by_dwfl; /* stacks walked each way */
	enum { WALK_RULES, WALK_DWFL, WALK_BOTH } how; /* XSPLICE_UNWIND: (unset), dwfl, check */

	/* Rows of CFI met or learnt ahead, kept for every walk (objects do not
	 * move); spare holds a row the table could not keep. */
	struct xs_rule_rows rows;
	struct xs_rule_row spare;
	size_t lookups;    /* in libdw, all told */
	size_t page_reads; /* stack pages read past the stack tops */

	/* Target memory does not change while it is stopped: cache per walk. */
	struct page_cache cache[CACHE_PAGES];
	unsigned cache_next;

	/*
	 * Every thread's stack top: in the first stop, read as the registers
	 * come in (pre). In later ones, read in one process_vm_readv per 64
	 * threads on the first walk after the threads last ran (the target's
	 * era): one pread per thread would cost more than the walk itself.
	 */
	struct xs_tops *pre;
	struct xs_stack_top *tops;
	size_t ntops; /* allocated */
	const struct xs_target *tops_of;
	unsigned long tops_era;
	const struct xs_stack_top *top; /* the walked thread's, or NULL */
	bool no_top;                    /* a walk from other registers (xs_unwind_regs) */
	uint64_t entry_lo, entry_hi;    /* ... whose outermost frame may sit there */
	bool at_entry;                  /* the walk ended there */
	struct xs_stack_snap snap;      /* a small process's stacks, read in the wait */
	struct xs_stack_top snap_top;   /* the walked thread's top, from snap */
	size_t snap_tops;               /* tops taken from snap, all told */
};

/* unwind.c */
extern const Dwfl_Thread_Callbacks xs_unwind_thread_callbacks;
void xs_unwind_why(struct xs_unwinder *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void xs_unwind_learn_around(struct xs_unwinder *u, uint64_t addr, unsigned around);
bool xs_unwind_grow_tops(struct xs_unwinder *u, size_t n);
int xs_unwind_walk_dwfl_afresh(struct xs_unwinder *u, struct xs_target *t, size_t i,
                               struct xs_frame *frames, size_t max);

/* unwind_mem.c: the walked thread's stack, for libdwfl and for the rules */
bool xs_unwind_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg);
bool xs_unwind_read_word(void *arg, uint64_t addr, uint64_t *val);

/* unwind_check.c */
int xs_unwind_check_rules(struct xs_unwinder *u, struct xs_target *t, size_t i,
                          struct xs_frame *frames, size_t max);

/* unwind_objects.c */
Elf_Scn *xs_unwind_section_named(Elf *elf, const char *want, GElf_Shdr *sh);

#endif
