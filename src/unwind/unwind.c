/* SPDX-License-Identifier: MIT */
/*
 * Stack unwinding of stopped threads for the safety check, with DWARF CFI
 * through elfutils libdwfl. File-backed code comes from /proc/<pid>/maps;
 * payload code (anonymous memory) is a module backed by a small in-memory ELF
 * that holds its relocated .eh_frame at the address it has in the target.
 */
#include "unwind/unwind.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "arch.h"
#include "common/error.h"
#include "unwind/frame_rule.h"
#include "target/maps.h"
#include "common/page.h"
#include "unwind/rule_rows.h"
#include "unwind/stack_snap.h"
#include "unwind/stack_tops.h"
#include "target/warm_pages.h"

#define CODE_MAGIC 0x78736377u  /* "xscw": userdata of payload code modules */
#define FILES_MAGIC 0x78736677u /* "xsfw": userdata of the process's file modules */
#define MAX_EH_LEN (64u << 20)
#define MAX_DWARF_REGS 64
#define CACHE_PAGE XS_PAGE_MIN /* a block, never across a page */
#define CACHE_PAGES 8 /* a stack walk touches one to a few pages */
#define ROWS_FREE 512 /* rows the stop may add without allocating */
#define AROUND_ROWS 8  /* rows learnt ahead on each side of a likely one */
#define VDSO_ROWS 64   /* rows after each FDE start of the vDSO, at most */
#define PLT_ROWS 8     /* rows of each PLT section, at most (3 in the usual .plt) */
#define AHEAD_LOOKUPS 4096 /* libdw lookups made ahead, at most */
#define WARM_FDES_MAX 200000 /* FDEs parsed ahead, over all objects */
#define TOPS_HELPER_MIN 64   /* threads from which a helper reads stack tops (stack_tops.h) */

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
	char why[160];     /* first reason the walk cannot go on */
	bool read_failed;  /* a stack read failed: CFI values are not trustworthy */
	bool exact_pc;     /* the next frame's PC is exact (initial or after a signal frame) */

	size_t warm_budget; /* FDEs warm_fdes may still parse */
	unsigned nregs;     /* the architecture's frame registers (DWARF numbering) */
	size_t by_rules, by_dwfl; /* stacks walked each way */
	enum { WALK_RULES, WALK_DWFL, WALK_BOTH } how; /* XSPLICE_UNWIND: (unset), dwfl, check */

	/* Rows of CFI met or learnt ahead, kept for every walk (objects do not
	 * move); spare holds a row the table could not keep. */
	struct xs_rule_rows rows;
	struct xs_rule_row spare;
	size_t lookups; /* in libdw, all told */
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
	size_t ntops;                 /* allocated */
	const struct xs_target *tops_of;
	unsigned long tops_era;
	const struct xs_stack_top *top;  /* the walked thread's, or NULL */
	bool no_top;                     /* a walk from other registers (xs_unwind_regs) */
	uint64_t entry_lo, entry_hi;     /* ... whose outermost frame may sit there */
	bool at_entry;                   /* the walk ended there */
	struct xs_stack_snap snap;       /* a small process's stacks, read in the wait */
	struct xs_stack_top snap_top;    /* the walked thread's top, from snap */
	size_t snap_tops;                /* tops taken from snap, all told */
};

/* --- module callbacks ------------------------------------------------------------- */

static struct xs_code *code_of(void **userdata, Dwfl_Module *mod)
{
	struct xs_code *c = *userdata;

	return c && c->magic == CODE_MAGIC && c->mod == mod ? c : NULL;
}

/*
 * Open a file the target maps through the target itself: the exact inode
 * through map_files (deleted files too), else the path under its root. Paths
 * in its maps need not exist, or be the same file, in our mount namespace.
 */
static int open_through_proc(const struct proc_files *pf, const char *name, uint64_t base,
			     char **file_name)
{
	char path[4200];
	int fd = -1;

	for (size_t i = 0; i < pf->n; i++) {
		if (pf->v[i].start < base || strcmp(pf->v[i].path, name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pf->pid,
			 pf->v[i].start, pf->v[i].end);
		fd = open(path, O_RDONLY | O_CLOEXEC); /* needs CAP_SYS_ADMIN on older kernels */
		break;
	}
	snprintf(path, sizeof(path), "/proc/%d/root%s", pf->pid, name);
	if (fd < 0 && !strstr(name, " (deleted)"))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		*file_name = strdup(path); /* dwfl's; its directory is searched for debug files */
	return fd;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct xs_code *c = code_of(userdata, mod);
	struct proc_files *pf = *userdata;
	int fd;

	if (c) {
		/* dwfl owns (and elf_ends) this Elf; the image stays ours. */
		*elfp = elf_memory((char *)c->image, c->image_len);
		return -1;
	}
	if (pf && pf->magic == FILES_MAGIC && name[0] == '/') {
		fd = open_through_proc(pf, name, base, file_name);
		/* Never a file of the same name in our own namespace. */
		if (fd >= 0 || !strstr(name, " (deleted)"))
			return fd;
	}
	if (pf && pf->magic == FILES_MAGIC && pf->vdso && base == pf->vdso_start) {
		*elfp = elf_memory((char *)pf->vdso, pf->vdso_end - pf->vdso_start);
		return -1;
	}
	/* The vDSO if not read yet, and deleted files we could not open: from memory. */
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			  const char *file_name, const char *debuglink, GElf_Word crc,
			  char **debuginfo_file_name)
{
	if (code_of(userdata, mod))
		return -1; /* payload code has its .eh_frame and nothing else */
	return dwfl_standard_find_debuginfo(mod, userdata, name, base, file_name, debuglink, crc,
					    debuginfo_file_name);
}

static const Dwfl_Callbacks module_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

/* --- thread callbacks: one thread at a time, registers from the stop --------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct xs_unwinder *u = arg;

	(void)dwfl;
	if (*thread_argp || !u->t)
		return 0;
	*thread_argp = u;
	return u->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct xs_unwinder *u = arg;

	(void)dwfl;
	if (!u->t || tid != u->tid)
		return false;
	*thread_argp = u;
	return true;
}

static struct page_cache *cache_page(struct xs_unwinder *u, uint64_t page)
{
	struct page_cache *p;

	for (unsigned k = 0; k < CACHE_PAGES; k++)
		if (u->cache[k].addr == page)
			return &u->cache[k];
	if (page > (uint64_t)INT64_MAX - CACHE_PAGE)
		return NULL;
	p = &u->cache[u->cache_next];
	u->cache_next = (u->cache_next + 1) % CACHE_PAGES;
	p->addr = UINT64_MAX;
	u->page_reads++;
	if (xs_target_peek(u->t, page, p->data, CACHE_PAGE))
		return NULL;
	p->addr = page;
	return p;
}

static int read_cached(struct xs_unwinder *u, uint64_t addr, void *buf, size_t len)
{
	const struct xs_stack_top *top = u->top;
	unsigned char *out = buf;

	if (top && addr >= top->addr && addr - top->addr <= top->len &&
	    len <= top->len - (addr - top->addr)) {
		memcpy(buf, top->data + (addr - top->addr), len);
		return 0;
	}

	while (len) {
		uint64_t page = addr & ~(uint64_t)(CACHE_PAGE - 1);
		size_t off = addr - page, take = CACHE_PAGE - off < len ? CACHE_PAGE - off : len;
		struct page_cache *p = cache_page(u, page);

		if (!p)
			return -EIO;
		memcpy(out, p->data + off, take);
		out += take;
		addr += take;
		len -= take;
	}
	return 0;
}

static void set_why(struct xs_unwinder *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct xs_unwinder *u, const char *fmt, ...)
{
	va_list ap;

	if (u->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct xs_unwinder *u = arg;
	uint64_t v;

	(void)dwfl;
	if (read_cached(u, addr, &v, sizeof(v))) {
		/* libdwfl would take an unreadable return address for the end of
		 * the stack; remember it so the walk fails instead. */
		if (!u->read_failed)
			set_why(u, "cannot read the stack at 0x%" PRIx64, (uint64_t)addr);
		u->read_failed = true;
		return false;
	}
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct xs_unwinder *u = arg;
	const xs_regs *r = &u->t->threads[u->index].regs;
	uint64_t dwarf[MAX_DWARF_REGS];
	int n = xs_arch_dwarf_regs(r, dwarf, MAX_DWARF_REGS);

	if (n <= 0 || !dwfl_thread_state_registers(thread, 0, (unsigned)n, dwarf)) {
		set_why(u, "cannot set its registers");
		return false;
	}
	dwfl_thread_state_register_pc(thread, xs_arch_pc(r));
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* --- the walk ------------------------------------------------------------------ */

/* The row at addr; with ranged, for every address libdw says it covers. */
static bool cfi_rule(Dwarf_CFI *cfi, Dwarf_Addr addr, Dwarf_Addr bias, unsigned nregs, bool ranged,
		     struct xs_rule_row *row)
{
	Dwarf_Addr start, end;
	Dwarf_Frame *frame;
	bool signal;

	if (!cfi || dwarf_cfi_addrframe(cfi, addr, &frame) != 0)
		return false;
	xs_frame_rule_from(frame, nregs, &row->rule);
	/* dwarf_frame_info answers the return address column, or -1. */
	if (ranged && dwarf_frame_info(frame, &start, &end, &signal) >= 0 && start <= addr &&
	    addr < end) {
		row->start = start + bias;
		row->end = end + bias;
	} else { /* this address only */
		row->start = addr + bias;
		row->end = addr + bias + 1;
	}
	free(frame);
	return true;
}

/*
 * The CFI row for addr (the PC libdwfl looks up), from the object's
 * .eh_frame, else its .debug_frame, as libdwfl does. Without CFI libdwfl
 * falls back to following %rbp, which means nothing in code built without
 * frame pointers: such a frame is refused, not guessed.
 */
static bool lookup_rule(struct xs_unwinder *u, Dwarf_Addr addr, bool ahead,
			struct xs_rule_row *row)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, addr);
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;

	if (!mod) {
		set_why(u, "not in any known object or payload");
		return false;
	}
	u->lookups++;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi_rule(cfi, addr - bias, bias, u->nregs, true, row))
		return true;
	if (ahead) /* a guess: not worth reading (and inflating) debug information for */
		return false;
	/* A .debug_frame row is kept for this address alone: within its range
	 * .eh_frame may still answer for another, and it comes first. */
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi_rule(cfi, addr - bias, bias, u->nregs, false, row))
		return true;
	set_why(u, "no CFI for it in %s", dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
	return false;
}

/* The row for addr, remembered by its range: the same few rows come up in
 * thread after thread. NULL: no CFI. */
static const struct xs_rule_row *row_at(struct xs_unwinder *u, Dwarf_Addr addr, bool ahead)
{
	const struct xs_rule_row *kept = xs_rows_find(&u->rows, addr);

	if (kept)
		return kept;
	if (!lookup_rule(u, addr, ahead, &u->spare))
		return NULL;
	kept = xs_rows_add(&u->rows, &u->spare);
	return kept ? kept : &u->spare;
}

static const struct xs_frame_rule *rule_at(struct xs_unwinder *u, Dwarf_Addr addr)
{
	const struct xs_rule_row *row = row_at(u, addr, false);

	return row ? &row->rule : NULL;
}

/* The row at addr and up to `around` rows on each side, until a gap in the CFI. */
static void learn_around(struct xs_unwinder *u, uint64_t addr, unsigned around)
{
	const struct xs_rule_row *row;
	uint64_t lo, hi;

	if (u->lookups >= AHEAD_LOOKUPS || xs_rows_find(&u->rows, addr))
		return; /* learnt already, with its neighbours */
	if (!(row = row_at(u, addr, true)))
		return;
	lo = row->start;
	hi = row->end;
	for (unsigned k = 0; k < around && u->lookups < AHEAD_LOOKUPS && (row = row_at(u, hi, true)); k++)
		hi = row->end;
	for (unsigned k = 0; k < around && lo && u->lookups < AHEAD_LOOKUPS &&
			     (row = row_at(u, lo - 1, true));
	     k++)
		lo = row->start;
	xs_rows_reserve(&u->rows, ROWS_FREE);
}

static bool in_code(const struct proc_files *pf, uint64_t addr)
{
	size_t lo = 0, hi = pf->nexec;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pf->exec[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pf->nexec && pf->exec[lo].start <= addr;
}

void xs_unwinder_learn_pc(struct xs_unwinder *u, uint64_t pc)
{
	learn_around(u, pc, AROUND_ROWS);
}

void xs_unwinder_learn_words(struct xs_unwinder *u, const uint64_t *words, size_t n)
{
	for (size_t i = 0; i < n && u->lookups < AHEAD_LOOKUPS; i++)
		if (words[i] && in_code(&u->files, words[i]))
			learn_around(u, words[i] - 1, AROUND_ROWS); /* the call before it */
}

bool xs_unwinder_knows_pc(const struct xs_unwinder *u, uint64_t pc)
{
	return xs_rows_find(&u->rows, pc) != NULL;
}

static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *sh);

bool xs_unwinder_has_cfi(struct xs_unwinder *u, uint64_t pc)
{
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	GElf_Shdr sh;
	Elf *elf;
	bool found = row_at(u, pc, true) != NULL; /* kept, or in .eh_frame */

	/* .debug_frame means reading the object's debug information (~40 ms
	 * for libc): only when its own file has that section. */
	if (!found && (mod = dwfl_addrmodule(u->dwfl, pc)) && (elf = dwfl_module_getelf(mod, &bias)) &&
	    section_named(elf, ".debug_frame", &sh))
		found = row_at(u, pc, false) != NULL;
	u->why[0] = '\0'; /* a lookup outside a walk leaves no reason behind */
	return found;
}

size_t xs_unwinder_lookups(const struct xs_unwinder *u)
{
	return u->lookups;
}

size_t xs_unwinder_page_reads(const struct xs_unwinder *u)
{
	return u->page_reads;
}

static bool have_cfi(struct xs_unwinder *u, Dwarf_Addr addr, bool *signal)
{
	const struct xs_frame_rule *rule = rule_at(u, addr);

	if (rule)
		*signal = rule->signal;
	return rule;
}

/*
 * A coroutine's walk (xs_unwind_regs) ends at a frame whose stack pointer
 * lies in [entry_lo, entry_hi], where makecontext put the return into the C
 * library's start routine, when .eh_frame has nothing for it (glibc's
 * __start_context has no CFI): not worth reading debug information in the
 * stop for.
 */
static bool at_entry(struct xs_unwinder *u, uint64_t addr)
{
	uint64_t sp = u->frames[u->n - 1].sp;

	return u->entry_hi && u->n > 1 && sp >= u->entry_lo && sp <= u->entry_hi &&
	       !row_at(u, addr, true);
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct xs_unwinder *u = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp;

	if (u->read_failed) /* while unwinding the previous frame */
		return DWARF_CB_ABORT;
	if (!dwfl_frame_pc(state, &pc, NULL)) {
		set_why(u, "no PC in the next frame");
		return DWARF_CB_ABORT;
	}
	if (u->n == u->max) {
		set_why(u, "more than %zu frames", u->max);
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(state, XS_ARCH_DWARF_SP, &sp) != 0) {
		set_why(u, "the stack pointer of frame %zu is not known", u->n);
		return DWARF_CB_ABORT;
	}
	u->frames[u->n].pc = pc;
	u->frames[u->n].sp = sp;
	u->n++;
	if (at_entry(u, u->exact_pc ? pc : pc - 1)) {
		u->at_entry = true;
		return DWARF_CB_ABORT;
	}
	/*
	 * Checked before libdwfl steps from this frame, with the address it
	 * will look up: a return address at pc - 1 (the call), an exact PC as
	 * is. (dwfl_frame_pc's isactivation would make it step first.)
	 */
	if (!have_cfi(u, u->exact_pc ? pc : pc - 1, &u->exact_pc))
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

static uint64_t top_addr(const xs_regs *r)
{
	return xs_arch_sp(r) & ~(uint64_t)63;
}

static bool grow_tops(struct xs_unwinder *u, size_t n)
{
	struct xs_stack_top *tops = realloc(u->tops, n * sizeof(*tops));

	if (!tops)
		return false;
	memset(tops + u->ntops, 0, (n - u->ntops) * sizeof(*tops)); /* faulted in now */
	xs_pages_touch_ours(tops, n * sizeof(*tops)); /* and in the kernel's view: read into */
	u->tops = tops;
	u->ntops = n;
	return true;
}

/*
 * Read every stopped thread's stack top. One that cannot be read stays
 * unread: its walk reads page by page and reports the failure.
 */
static void read_tops(struct xs_unwinder *u, struct xs_target *t)
{
	size_t batch[XS_TOPS_BATCH];

	xs_mark("read tops");
	u->tops_of = t;
	u->tops_era = t->era;
	if (t->nthreads > u->ntops && !grow_tops(u, t->nthreads + 16)) {
		u->tops_of = NULL;
		return;
	}
	for (size_t i = 0; i < t->nthreads;) {
		size_t k = 0;

		for (; i < t->nthreads && k < XS_TOPS_BATCH; i++) {
			struct xs_stack_top *top = &u->tops[i];

			top->len = 0;
			top->addr = top_addr(&t->threads[i].regs);
			if (t->threads[i].stopped)
				batch[k++] = i;
		}
		xs_stack_tops_read(t->pid, u->tops, batch, k);
	}
	xs_mark("tops read");
}

void xs_unwinder_regs_read(void *arg, size_t i, pid_t tid, const xs_regs *r, unsigned long era)
{
	struct xs_unwinder *u = arg;

	xs_tops_queue(u->pre, i, tid, top_addr(r), era);
}

void xs_unwinder_stop_walked(struct xs_unwinder *u)
{
	xs_tops_close(u->pre);
}

int xs_unwinder_snap_plan(struct xs_unwinder *u, const struct xs_pages *stacks)
{
	memset(&u->snap_top, 0, sizeof(u->snap_top)); /* faulted in now, not in the stop */
	return xs_snap_plan(&u->snap, stacks);
}

void xs_unwinder_snap_take(struct xs_unwinder *u, struct xs_target *t)
{
	xs_snap_take(&u->snap, t);
}

/* The top at addr from the snapshot of this era, as far as it holds it. */
static const struct xs_stack_top *top_from_snap(struct xs_unwinder *u, const struct xs_target *t,
						uint64_t addr)
{
	struct xs_stack_top *top = &u->snap_top;
	size_t len = 0;

	while (len < XS_STACK_TOP) {
		uint64_t at = addr + len, page = at & ~(uint64_t)(XS_SNAP_PAGE - 1);
		const unsigned char *data = xs_snap_page(&u->snap, page, t->era);
		size_t take = XS_SNAP_PAGE - (at - page);

		if (!data)
			break;
		take = take < XS_STACK_TOP - len ? take : XS_STACK_TOP - len;
		memcpy(top->data + len, data + (at - page), take);
		len += take;
	}
	top->addr = addr;
	top->len = len;
	return len ? top : NULL;
}

size_t xs_unwinder_snap_tops(const struct xs_unwinder *u)
{
	return u->snap_tops;
}

/* Thread i's stack top: read in the wait for its registers, as they came in,
 * or now with all others. */
static const struct xs_stack_top *top_of(struct xs_unwinder *u, struct xs_target *t, size_t i)
{
	if (u->tops_of != t || u->tops_era != t->era) {
		uint64_t addr = top_addr(&t->threads[i].regs);
		const struct xs_stack_top *pre = top_from_snap(u, t, addr);

		if (!pre)
			pre = xs_tops_get(u->pre, i, t->threads[i].tid, addr, t->era);
		if (pre)
			return pre;
		read_tops(u, t);
	}
	return u->tops_of == t && i < u->ntops && u->tops[i].len ? &u->tops[i] : NULL;
}

static void begin_walk(struct xs_unwinder *u, struct xs_target *t, size_t i,
		       struct xs_frame *frames, size_t max)
{
	u->top = u->no_top ? NULL : top_of(u, t, i);
	u->t = t;
	u->index = i;
	u->tid = t->threads[i].tid;
	u->frames = frames;
	u->max = max;
	u->n = 0;
	u->why[0] = '\0';
	u->read_failed = false;
	u->at_entry = false;
	u->exact_pc = true;
	for (unsigned k = 0; k < CACHE_PAGES; k++)
		u->cache[k].addr = UINT64_MAX;
}

static bool read_word(void *arg, uint64_t addr, uint64_t *val)
{
	return read_cached(arg, addr, val, sizeof(*val)) == 0;
}

/*
 * The walk with frame rules: 0 when it reached the outermost frame, 1 when
 * some frame needs libdwfl (no rule, a rule that is not simple, an unreadable
 * stack, too many frames); libdwfl then walks the whole stack again and
 * reports what stopped it.
 */
static int walk_rules(struct xs_unwinder *u)
{
	const xs_regs *r = &u->t->threads[u->index].regs;
	struct xs_regset regs[2];
	int nregs = xs_arch_dwarf_regs(r, regs[0].v, XS_RULE_REGS);
	uint64_t pc = xs_arch_pc(r);
	bool exact = true; /* the initial PC, and one after a signal frame */
	unsigned cur = 0;

	if (nregs <= 0 || (unsigned)nregs != u->nregs)
		return 1;
	regs[0].known = nregs == XS_RULE_REGS ? ~0ull : (1ull << nregs) - 1;
	for (;;) {
		const struct xs_frame_rule *rule;

		if (u->n == u->max || !(regs[cur].known >> XS_ARCH_DWARF_SP & 1))
			return 1;
		u->frames[u->n].pc = pc;
		u->frames[u->n].sp = regs[cur].v[XS_ARCH_DWARF_SP];
		u->n++;
		if (at_entry(u, exact ? pc : pc - 1))
			return 0;
		rule = rule_at(u, exact ? pc : pc - 1);
		if (!rule)
			return 1;
		switch (xs_frame_rule_step(rule, &regs[cur], &regs[cur ^ 1], read_word, u)) {
		case XS_STEP_NEXT:
			break;
		case XS_STEP_END:
			return 0;
		case XS_STEP_SLOW:
			return 1;
		}
		cur ^= 1;
		pc = regs[cur].v[rule->ra];
		exact = rule->signal;
	}
}

static int walk_dwfl(struct xs_unwinder *u)
{
	int rc = dwfl_getthread_frames(u->dwfl, u->tid, frame_cb, u);

	return (rc == 0 || u->at_entry) && !u->read_failed ? 0 : -1;
}

/* XSPLICE_UNWIND=check: the rules' frames must be libdwfl's, frame for frame. */
static int check_rules(struct xs_unwinder *u, struct xs_target *t, size_t i,
		       struct xs_frame *frames, size_t max)
{
	size_t n = u->n, k;
	struct xs_frame *mine = malloc(n * sizeof(*mine) + 1);
	int rc;

	if (!mine)
		return xs_fail(-ENOMEM, "thread %d: no memory to check its stack", (int)u->tid);
	memcpy(mine, frames, n * sizeof(*mine));
	begin_walk(u, t, i, frames, max);
	u->top = NULL; /* libdwfl reads the stack afresh: a stale stack top shows too */
	rc = walk_dwfl(u);
	for (k = 0; !rc && k < n && k < u->n; k++)
		if (mine[k].pc != frames[k].pc || mine[k].sp != frames[k].sp)
			break;
	if (!rc && (k < n || k < u->n))
		rc = xs_fail(-EIO, "thread %d: frame rules and libdwfl disagree at frame %zu of %zu/%zu: pc 0x%" PRIx64 " sp 0x%" PRIx64 " vs pc 0x%" PRIx64 " sp 0x%" PRIx64,
			     (int)u->tid, k, n, u->n, k < n ? mine[k].pc : 0, k < n ? mine[k].sp : 0,
			     k < u->n ? frames[k].pc : 0, k < u->n ? frames[k].sp : 0);
	else if (rc)
		rc = xs_fail(-EIO, "thread %d: frame rules walked %zu frames where libdwfl fails: %s",
			     (int)u->tid, n, u->why[0] ? u->why : dwfl_errmsg(-1));
	free(mine);
	return rc;
}

int xs_unwind_thread(struct xs_unwinder *u, struct xs_target *t, size_t i,
		     struct xs_frame *frames, size_t max, size_t *n)
{
	bool by_rules;
	uint64_t pc;
	int rc;

	*n = 0;
	if (!t || i >= t->nthreads || (!frames && max))
		return xs_fail(-EINVAL, "pid %d: no thread %zu to unwind", t ? t->pid : 0, i);
	if (t->pid != u->pid)
		return xs_fail(-EINVAL, "pid %d: unwinder was set up for pid %d", t->pid, u->pid);
	if (!t->threads[i].stopped)
		return xs_fail(-EINVAL, "thread %d: not stopped, its saved registers are stale",
			       (int)t->threads[i].tid);
	if (t->mem_fd < 0)
		return xs_fail(-EBADF, "pid %d: target memory is not open", t->pid);
	begin_walk(u, t, i, frames, max);
	u->snap_tops += u->top == &u->snap_top;
	by_rules = u->how != WALK_DWFL && walk_rules(u) == 0;
	u->by_rules += by_rules;
	u->by_dwfl += !by_rules || u->how == WALK_BOTH;
	if (by_rules && u->how == WALK_BOTH) {
		rc = check_rules(u, t, i, frames, max);
		*n = u->n;
		u->t = NULL;
		return rc;
	}
	if (!by_rules) {
		begin_walk(u, t, i, frames, max);
		rc = walk_dwfl(u);
	} else {
		rc = 0;
	}
	*n = u->n;
	u->t = NULL;
	if (rc == 0)
		return 0;
	if (!u->why[0])
		set_why(u, "%s", dwfl_errmsg(-1));
	pc = u->n ? u->frames[u->n - 1].pc : xs_arch_pc(&t->threads[i].regs);
	return xs_fail(-EIO, "thread %d: cannot unwind past PC 0x%" PRIx64 ": %s", (int)u->tid, pc,
		       u->why);
}

int xs_unwind_regs(struct xs_unwinder *u, struct xs_target *t, size_t i, const xs_regs *regs,
		   uint64_t entry_lo, uint64_t entry_hi, struct xs_frame *frames, size_t max,
		   size_t *n)
{
	xs_regs saved;
	int rc;

	*n = 0;
	if (!t || i >= t->nthreads)
		return xs_fail(-EINVAL, "pid %d: no thread %zu to unwind with", t ? t->pid : 0, i);
	/* The walks read the registers from the thread: lend it these. */
	saved = t->threads[i].regs;
	t->threads[i].regs = *regs;
	u->no_top = true;
	u->entry_lo = entry_lo;
	u->entry_hi = entry_hi;
	rc = xs_unwind_thread(u, t, i, frames, max, n);
	u->no_top = false;
	u->entry_lo = u->entry_hi = 0;
	t->threads[i].regs = saved;
	return rc;
}

/* --- setup ------------------------------------------------------------------------ */

/*
 * libelf maps object files lazily: the first walk through libc's unwind
 * tables would take its page faults while the target is stopped. Touch
 * every page of them now.
 */
static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (gelf_getshdr(scn, sh) && (name = elf_strptr(elf, shstrndx, sh->sh_name)) &&
		    !strcmp(name, want))
			return scn;
	}
	return NULL;
}

static void touch_unwind_tables(Elf *elf)
{
	static const char *const names[] = {".eh_frame_hdr", ".eh_frame"};
	volatile unsigned char sink = 0;

	for (size_t k = 0; k < XS_ARRAY_SIZE(names); k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = section_named(elf, names[k], &sh);
		Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

		for (size_t off = 0; d && d->d_buf && off < d->d_size; off += xs_page_size())
			sink ^= ((const unsigned char *)d->d_buf)[off];
	}
	(void)sink;
}

/*
 * Parse every FDE of an object now, while the process runs: libdw parses an
 * FDE (and its CIE) the first time a lookup lands in it, and the first walk
 * after the stop would pay for that while every thread waits. The
 * .eh_frame_hdr search table lists each FDE's first address; looking that
 * address up interns the FDE in the CFI's cache. Only the encoding every
 * toolchain emits (datarel sdata4 table, udata4 count) is read. With rows,
 * every row of every FDE is learnt (for the vDSO: small, and where every
 * thread that spins on the clock is stopped).
 */
static void warm_fdes(struct xs_unwinder *u, Elf *elf, Dwarf_CFI *cfi, Dwarf_Addr bias, bool rows)
{
	const unsigned char *p;
	GElf_Shdr sh;
	Elf_Scn *scn = section_named(elf, ".eh_frame_hdr", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	uint32_t count;

	if (!cfi || !d || !d->d_buf || d->d_size < 12)
		return;
	p = d->d_buf;
	if (p[0] != 1 || p[2] != (DW_EH_PE_udata4) ||
	    p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) || (p[1] & 0x0f) != DW_EH_PE_sdata4)
		return;
	memcpy(&count, p + 8, sizeof(count));
	if (count > (d->d_size - 12) / 8)
		return;
	for (uint32_t k = 0; k < count && u->warm_budget; k++, u->warm_budget--) {
		int32_t rel;
		Dwarf_Frame *frame;

		memcpy(&rel, p + 12 + 8 * k, sizeof(rel));
		if (rows)
			learn_around(u, sh.sh_addr + (int64_t)rel + bias, VDSO_ROWS);
		else if (dwarf_cfi_addrframe(cfi, sh.sh_addr + (int64_t)rel, &frame) == 0)
			free(frame);
	}
}

/*
 * The rows of an object's PLT sections. A thread that calls a library in
 * its loop is often stopped in a PLT entry, which is never a return address
 * and so not learnt from the stack; its row, looked up in the stop, would
 * cost the walk a libdw lookup while every thread waits.
 */
static void learn_plts(struct xs_unwinder *u, Elf *elf, Dwarf_Addr bias)
{
	static const char *const names[] = {".plt", ".plt.sec", ".plt.got"};

	for (size_t k = 0; k < XS_ARRAY_SIZE(names); k++) {
		GElf_Shdr sh;

		if (section_named(elf, names[k], &sh) && sh.sh_size)
			learn_around(u, sh.sh_addr + bias, PLT_ROWS);
	}
}

/*
 * The vDSO's image, for preload_module: every thread spinning on the clock
 * has a frame in it, and libdwfl would otherwise read it from the target on
 * the first walk, while all threads wait. Reading /proc/<pid>/mem
 * may be refused before the attach (yama); then it loads on first use.
 */
static void read_vdso(struct proc_files *pf)
{
	size_t len = pf->vdso_end - pf->vdso_start;

	if (!len || len > (1u << 20) || !(pf->vdso = malloc(len)))
		return;
	if (xs_proc_read(pf->pid, pf->vdso_start, pf->vdso, len)) {
		xs_error_clear(); /* not an error: libdwfl reads it after the attach */
		free(pf->vdso);
		pf->vdso = NULL;
	}
}

/*
 * Open every object's ELF and CFI now, before the threads are stopped, so a
 * walk only looks things up. Not deleted files map_files may not open, nor
 * the vDSO if read_vdso could not: they are read from /proc/<pid>/mem, which
 * may need the attach (a failure here would be cached by dwfl); they load
 * when first needed.
 */
static int preload_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			  void *arg)
{
	struct xs_unwinder *u = arg;
	Dwarf_Addr bias;
	Elf *elf;

	*userdata = &u->files;
	if (!(name[0] == '/' || (u->files.vdso && start == u->files.vdso_start)) ||
	    strstr(name, " (deleted)"))
		return DWARF_CB_OK;
	elf = dwfl_module_getelf(mod, &bias);
	if (!elf)
		return DWARF_CB_OK; /* cached by dwfl: a frame in it fails to unwind */
	if (!u->machine) {
		GElf_Ehdr ehdr;

		if (gelf_getehdr(elf, &ehdr)) {
			memcpy(u->ident, ehdr.e_ident, EI_NIDENT);
			u->machine = ehdr.e_machine;
		}
	}
	touch_unwind_tables(elf);
	warm_fdes(u, elf, dwfl_module_eh_cfi(mod, &bias), bias,
		  u->files.vdso && start == u->files.vdso_start);
	learn_plts(u, elf, bias);
	return DWARF_CB_OK;
}

static bool add_exec(struct proc_files *pf, uint64_t start, uint64_t end)
{
	struct vma *v = realloc(pf->exec, (pf->nexec + 1) * sizeof(*v));

	if (!v)
		return false;
	pf->exec = v;
	pf->exec[pf->nexec++] = (struct vma){ start, end, NULL };
	return true;
}

static int read_maps(struct xs_unwinder *u)
{
	struct xs_maps *maps;
	size_t nfiles = 0;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/maps", u->pid);
	rc = xs_maps_load(path, &maps, NULL);
	if (rc)
		return rc == -ENOENT ? xs_fail(-ESRCH, "pid %d: no such process", u->pid)
				     : xs_fail(rc, "pid %d: cannot read %s", u->pid, path);
	for (size_t i = 0; i < maps->n; i++)
		nfiles += maps->v[i].path[0] == '/';
	u->files.v = calloc(nfiles ? nfiles : 1, sizeof(*u->files.v));
	if (!u->files.v)
		rc = xs_fail(-ENOMEM, "pid %d: no memory for its mappings", u->pid);
	for (size_t i = 0; !rc && i < maps->n; i++) {
		struct xs_map *m = &maps->v[i];

		if (xs_map_exec(m) && !add_exec(&u->files, m->start, m->end)) {
			rc = xs_fail(-ENOMEM, "pid %d: no memory for its mappings", u->pid);
			break;
		}
		if (!strncmp(m->path, "[vdso]", 6)) {
			u->files.vdso_start = m->start;
			u->files.vdso_end = m->end;
		}
		if (m->path[0] != '/')
			continue;
		/* Moved, not copied: maps is freed without it. */
		u->files.v[u->files.n++] = (struct vma){ m->start, m->end, m->path };
		m->path = NULL;
	}
	xs_maps_free(maps);
	return rc;
}

/*
 * Write a zero into every page of a fresh, zeroed object: calloc may hand out
 * pages never touched, and the walk's first writes to them (rule memo, page
 * cache) would fault while every thread waits. Volatile, so that no store is
 * dropped as redundant with calloc's zeroes.
 */
static void fault_in(void *p, size_t len)
{
	volatile unsigned char *b = p;

	for (size_t off = 0; off < len; off += xs_page_size())
		b[off] = 0;
	if (len)
		b[len - 1] = 0;
}

/* The process's thread count from /proc/<pid>/task's link count, 0 if unknown. */
static size_t count_threads(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	return stat(path, &st) == 0 && st.st_nlink > 2 ? (size_t)st.st_nlink - 2 : 0;
}

static unsigned frame_regs(void)
{
	xs_regs none = { 0 };
	uint64_t dwarf[MAX_DWARF_REGS];
	int n = xs_arch_dwarf_regs(&none, dwarf, MAX_DWARF_REGS);

	return n > 0 ? (unsigned)n : 0;
}

/* XSPLICE_UNWIND=dwfl walks every stack with libdwfl alone; =check walks with
 * both and fails on any difference (make check sets it). */
static int walk_how(void)
{
	const char *how = getenv("XSPLICE_UNWIND");

	if (how && !strcmp(how, "dwfl"))
		return WALK_DWFL;
	if (how && !strcmp(how, "check"))
		return WALK_BOTH;
	return WALK_RULES;
}

/* XSPLICE_TOPS_HELPER=0: the stop reads every stack top itself (to measure). */
static bool tops_helper_wanted(void)
{
	const char *env = getenv("XSPLICE_TOPS_HELPER");

	return !env || strcmp(env, "0");
}

int xs_unwinder_new(pid_t pid, struct xs_unwinder **out)
{
	struct xs_unwinder *u;
	size_t nthreads;
	int rc;

	*out = NULL;
	elf_version(EV_CURRENT);
	u = calloc(1, sizeof(*u));
	if (!u)
		return xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
	fault_in(u, sizeof(*u));
	xs_pages_touch_ours(u->cache, sizeof(u->cache)); /* stack pages are read into it */
	u->pid = pid;
	u->files.magic = FILES_MAGIC;
	u->files.pid = pid;
	u->warm_budget = WARM_FDES_MAX;
	u->nregs = frame_regs();
	u->how = walk_how();
	if (!xs_rows_reserve(&u->rows, ROWS_FREE)) {
		rc = xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
		goto fail;
	}
	nthreads = count_threads(pid);
	u->pre = xs_tops_new(pid, nthreads + 16, nthreads >= TOPS_HELPER_MIN && tops_helper_wanted());
	if (!u->pre || !grow_tops(u, nthreads + 16)) {
		rc = xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
		goto fail;
	}
	rc = read_maps(u);
	if (rc)
		goto fail;
	read_vdso(&u->files);
	u->dwfl = dwfl_begin(&module_callbacks);
	if (!u->dwfl) {
		rc = xs_fail(-ENOMEM, "pid %d: cannot start libdwfl: %s", pid, dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_report_begin(u->dwfl);
	rc = dwfl_linux_proc_report(u->dwfl, pid);
	if (rc > 0) {
		rc = rc == ENOENT ? xs_fail(-ESRCH, "pid %d: no such process", pid)
				  : xs_fail(-rc, "pid %d: cannot read /proc/%d/maps", pid, pid);
		goto fail;
	}
	if (rc < 0 || dwfl_report_end(u->dwfl, NULL, NULL) != 0) {
		rc = xs_fail(-EIO, "pid %d: libdwfl cannot list the objects: %s", pid, dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_getmodules(u->dwfl, preload_module, u, 0);
	dwfl_addrmodule(u->dwfl, 0); /* builds the address lookup table now */
	if (!u->machine) {
		rc = xs_fail(-ENOEXEC, "pid %d: no readable ELF object in the process", pid);
		goto fail;
	}
	/* Once per unwinder: our callbacks serve whichever thread is being walked. */
	if (!dwfl_attach_state(u->dwfl, NULL, pid, &thread_callbacks, u)) {
		rc = xs_fail(-EIO, "pid %d: libdwfl cannot set up unwinding: %s", pid, dwfl_errmsg(-1));
		goto fail;
	}
	*out = u;
	return 0;
fail:
	xs_unwinder_free(u);
	return rc;
}

/* --- payload code ------------------------------------------------------------------ */

static const char shstrtab[] = "\0.eh_frame\0.shstrtab"; /* names at 1 and 11 */

/*
 * An ELF image for code at [start, end) whose .eh_frame lies at eh_addr:
 * one PT_LOAD at start (so dwfl's load bias is 0) and an .eh_frame section at
 * its target address (so pc-relative pointers in it decode as in the target).
 */
static unsigned char *code_image(const struct xs_unwinder *u, uint64_t start, uint64_t end,
				 uint64_t eh_addr, const unsigned char *eh, size_t eh_len,
				 size_t *len)
{
	size_t eh_off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	size_t str_off = eh_off + eh_len;
	size_t sh_off = XS_ALIGN_UP(str_off + sizeof(shstrtab), 8);
	unsigned char *img = calloc(1, sh_off + 3 * sizeof(Elf64_Shdr));
	Elf64_Ehdr ehdr = {
		.e_type = ET_DYN,
		.e_machine = u->machine,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = sh_off,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 3,
		.e_shstrndx = 2,
	};
	Elf64_Phdr phdr = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_vaddr = start,
		.p_paddr = start,
		.p_memsz = end - start,
		.p_align = 1,
	};
	Elf64_Shdr shdr[3] = {
		[1] = { .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			.sh_addr = eh_addr, .sh_offset = eh_off, .sh_size = eh_len, .sh_addralign = 8 },
		[2] = { .sh_name = 11, .sh_type = SHT_STRTAB, .sh_offset = str_off,
			.sh_size = sizeof(shstrtab), .sh_addralign = 1 },
	};

	if (!img)
		return NULL;
	memcpy(ehdr.e_ident, u->ident, EI_NIDENT);
	ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
	ehdr.e_ident[EI_ABIVERSION] = 0;
	memcpy(img, &ehdr, sizeof(ehdr));
	memcpy(img + sizeof(ehdr), &phdr, sizeof(phdr));
	memcpy(img + eh_off, eh, eh_len);
	memcpy(img + str_off, shstrtab, sizeof(shstrtab));
	memcpy(img + sh_off, shdr, sizeof(shdr));
	*len = sh_off + sizeof(shdr);
	return img;
}

/* Let libdw parse the .eh_frame once: hostile or truncated bytes fail here. */
static int check_eh_frame(const struct xs_code *c, uint64_t eh_addr)
{
	Elf *elf = elf_memory((char *)c->image, c->image_len);
	Elf_Data *data;
	Dwarf_CFI *cfi;
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry entry;
	size_t fdes = 0;
	int r = 0, rc = 0;

	if (!elf)
		return xs_fail(-ENOMEM, "payload code 0x%" PRIx64 ": cannot build its ELF image: %s",
			       c->start, elf_errmsg(-1));
	data = elf_rawdata(elf_getscn(elf, 1), NULL);
	while (data && (r = dwarf_next_cfi(c->image, data, true, off, &next, &entry)) == 0) {
		fdes += !dwarf_cfi_cie_p(&entry);
		off = next;
	}
	cfi = data ? dwarf_getcfi_elf(elf) : NULL;
	if (!data || r < 0 || !cfi)
		rc = xs_fail(-EINVAL, "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64 " is malformed near offset %" PRIu64 ": %s",
			     c->start, eh_addr, (uint64_t)off, dwarf_errmsg(-1));
	else if (!fdes)
		rc = xs_fail(-EINVAL, "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64 " describes no function",
			     c->start, eh_addr);
	if (cfi)
		dwarf_cfi_end(cfi);
	elf_end(elf);
	return rc;
}

struct overlap {
	uint64_t start, end;
	const char *name;
};

static int find_overlap(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	struct overlap *o = arg;
	Dwarf_Addr lo, hi;

	(void)userdata;
	(void)start;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	if (lo < o->end && o->start < hi) {
		o->name = name;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static int check_args(struct xs_unwinder *u, uint64_t start, uint64_t end, uint64_t eh_addr,
		      const unsigned char *eh, size_t eh_len)
{
	struct overlap o = { start, end, NULL };

	if (start >= end)
		return xs_fail(-EINVAL, "payload code 0x%" PRIx64 "-0x%" PRIx64 ": empty range", start, end);
	if (!eh || !eh_len || eh_len > MAX_EH_LEN || eh_addr + eh_len < eh_addr)
		return xs_fail(-EINVAL, "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64 " of %zu bytes is out of bounds",
			       start, eh_addr, eh_len);
	if (u->ident[EI_CLASS] != ELFCLASS64)
		return xs_fail(-EOPNOTSUPP, "pid %d: payload code unwinding supports 64-bit targets only", u->pid);
	dwfl_getmodules(u->dwfl, find_overlap, &o, 0);
	if (o.name)
		return xs_fail(-EEXIST, "payload code 0x%" PRIx64 "-0x%" PRIx64 ": overlaps %s", start, end, o.name);
	return 0;
}

int xs_unwinder_add_code(struct xs_unwinder *u, uint64_t start, uint64_t end, uint64_t eh_addr,
			 const unsigned char *eh, size_t eh_len)
{
	struct xs_code *c;
	char name[64];
	void **userdata;
	Dwarf_Addr bias;
	int rc = check_args(u, start, end, eh_addr, eh, eh_len);

	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->image = code_image(u, start, end, eh_addr, eh, eh_len, &c->image_len))) {
		free(c);
		return xs_fail(-ENOMEM, "payload code 0x%" PRIx64 ": no memory for its %zu bytes of .eh_frame",
			       start, eh_len);
	}
	c->magic = CODE_MAGIC;
	c->start = start;
	c->end = end;
	rc = check_eh_frame(c, eh_addr);
	if (rc)
		goto fail;
	snprintf(name, sizeof(name), "xsplice-code-0x%" PRIx64, start);
	dwfl_report_begin_add(u->dwfl);
	c->mod = dwfl_report_module(u->dwfl, name, start, end);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 || !c->mod) {
		rc = xs_fail(-ENOMEM, "payload code 0x%" PRIx64 ": libdwfl cannot add it: %s", start,
			     dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_module_info(c->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = c;
	c->next = u->code;
	u->code = c;
	/* Load it now rather than during a walk (this may run while stopped). */
	if (!dwfl_module_eh_cfi(c->mod, &bias))
		return xs_fail(-EIO, "payload code 0x%" PRIx64 ": libdwfl cannot use its .eh_frame: %s",
			       start, dwfl_errmsg(-1));
	dwfl_addrmodule(u->dwfl, start);
	return 0;
fail:
	free(c->image);
	free(c);
	return rc;
}

void xs_unwinder_counts(const struct xs_unwinder *u, size_t *by_rules, size_t *by_dwfl)
{
	*by_rules = u->by_rules;
	*by_dwfl = u->by_dwfl;
}

void xs_unwinder_tops_counts(const struct xs_unwinder *u, size_t *by_helper, size_t *by_us)
{
	xs_tops_counts(u->pre, by_helper, by_us);
}

void xs_unwinder_free(struct xs_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl); /* first: its Elf handles point into our images */
	while (u->code) {
		struct xs_code *next = u->code->next;

		free(u->code->image);
		free(u->code);
		u->code = next;
	}
	for (size_t i = 0; i < u->files.n; i++)
		free(u->files.v[i].path);
	free(u->files.v);
	free(u->files.exec);
	free(u->files.vdso);
	xs_tops_free(u->pre);
	free(u->tops);
	xs_snap_free(&u->snap);
	xs_rows_free(&u->rows);
	free(u);
}
