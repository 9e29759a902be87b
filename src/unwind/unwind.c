/* SPDX-License-Identifier: MIT */
/*
 * Stack unwinding of stopped threads for the safety check: each thread walked
 * with frame rules kept from DWARF CFI rows, else by libdwfl (elfutils), which
 * has the last word. Setup is in unwind_objects.c, stack reads in
 * unwind_mem.c, payload code in unwind_code.c, XSPLICE_UNWIND=check in
 * unwind_check.c; what they share in unwind_int.h.
 */
#include "unwind/unwind.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "common/error.h"
#include "unwind/frame_rule.h"
#include "common/page.h"
#include "unwind/rule_rows.h"
#include "unwind/stack_snap.h"
#include "unwind/stack_tops.h"
#include "unwind/unwind_int.h"
#include "target/warm_pages.h"

#define AROUND_ROWS 8      /* rows learnt ahead on each side of a likely one */
#define AHEAD_LOOKUPS 4096 /* libdw lookups made ahead, at most */

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

void xs_unwind_why(struct xs_unwinder *u, const char *fmt, ...)
{
	va_list ap;

	if (u->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct xs_unwinder *u = arg;
	const xs_regs *r = &u->t->threads[u->index].regs;
	uint64_t dwarf[MAX_DWARF_REGS];
	int n = xs_arch_dwarf_regs(r, dwarf, MAX_DWARF_REGS);

	if (n <= 0 || !dwfl_thread_state_registers(thread, 0, (unsigned)n, dwarf)) {
		xs_unwind_why(u, "cannot set its registers");
		return false;
	}
	dwfl_thread_state_register_pc(thread, xs_arch_pc(r));
	return true;
}

const Dwfl_Thread_Callbacks xs_unwind_thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = xs_unwind_memory_read,
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
static bool lookup_rule(struct xs_unwinder *u, Dwarf_Addr addr, bool ahead, struct xs_rule_row *row)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, addr);
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;

	if (!mod) {
		xs_unwind_why(u, "not in any known object or payload");
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
	xs_unwind_why(u, "no CFI for it in %s",
	              dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
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
void xs_unwind_learn_around(struct xs_unwinder *u, uint64_t addr, unsigned around)
{
	const struct xs_rule_row *row;
	uint64_t lo, hi;

	if (u->lookups >= AHEAD_LOOKUPS || xs_rows_find(&u->rows, addr))
		return; /* learnt already, with its neighbours */
	if (!(row = row_at(u, addr, true)))
		return;
	lo = row->start;
	hi = row->end;
	for (unsigned k = 0;
	     k < around && u->lookups < AHEAD_LOOKUPS && (row = row_at(u, hi, true)); k++)
		hi = row->end;
	for (unsigned k = 0;
	     k < around && lo && u->lookups < AHEAD_LOOKUPS && (row = row_at(u, lo - 1, true)); k++)
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
	xs_unwind_learn_around(u, pc, AROUND_ROWS);
}

void xs_unwinder_learn_words(struct xs_unwinder *u, const uint64_t *words, size_t n)
{
	for (size_t i = 0; i < n && u->lookups < AHEAD_LOOKUPS; i++)
		if (words[i] && in_code(&u->files, words[i]))
			xs_unwind_learn_around(u, words[i] - 1,
			                       AROUND_ROWS); /* the call before it */
}

bool xs_unwinder_knows_pc(const struct xs_unwinder *u, uint64_t pc)
{
	return xs_rows_find(&u->rows, pc) != NULL;
}

bool xs_unwinder_has_cfi(struct xs_unwinder *u, uint64_t pc)
{
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	GElf_Shdr sh;
	Elf *elf;
	bool found = row_at(u, pc, true) != NULL; /* kept, or in .eh_frame */

	/* .debug_frame means reading the object's debug information (~40 ms
	 * for libc): only when its own file has that section. */
	if (!found && (mod = dwfl_addrmodule(u->dwfl, pc)) &&
	    (elf = dwfl_module_getelf(mod, &bias)) &&
	    xs_unwind_section_named(elf, ".debug_frame", &sh))
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
		xs_unwind_why(u, "no PC in the next frame");
		return DWARF_CB_ABORT;
	}
	if (u->n == u->max) {
		xs_unwind_why(u, "more than %zu frames", u->max);
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(state, XS_ARCH_DWARF_SP, &sp) != 0) {
		xs_unwind_why(u, "the stack pointer of frame %zu is not known", u->n);
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

bool xs_unwind_grow_tops(struct xs_unwinder *u, size_t n)
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
	if (t->nthreads > u->ntops && !xs_unwind_grow_tops(u, t->nthreads + 16)) {
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
		switch (
		    xs_frame_rule_step(rule, &regs[cur], &regs[cur ^ 1], xs_unwind_read_word, u)) {
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

/* Thread i walked again by libdwfl alone, reading its stack afresh (unwind_check.c). */
int xs_unwind_walk_dwfl_afresh(struct xs_unwinder *u, struct xs_target *t, size_t i,
                               struct xs_frame *frames, size_t max)
{
	begin_walk(u, t, i, frames, max);
	u->top = NULL; /* a stale stack top shows too */
	return walk_dwfl(u);
}

int xs_unwind_thread(struct xs_unwinder *u, struct xs_target *t, size_t i, struct xs_frame *frames,
                     size_t max, size_t *n)
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
		rc = xs_unwind_check_rules(u, t, i, frames, max);
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
		xs_unwind_why(u, "%s", dwfl_errmsg(-1));
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

void xs_unwinder_counts(const struct xs_unwinder *u, size_t *by_rules, size_t *by_dwfl)
{
	*by_rules = u->by_rules;
	*by_dwfl = u->by_dwfl;
}

void xs_unwinder_tops_counts(const struct xs_unwinder *u, size_t *by_helper, size_t *by_us)
{
	xs_tops_counts(u->pre, by_helper, by_us);
}
