/* SPDX-License-Identifier: MIT */
/*
 * The EBUSY report and the long-wait line: what the stop noted, named
 * (function names from the payloads' funcs tables, read from the process)
 * and symbolized (symbolize.h) once its threads run again. Everything shown
 * that came from the process or its files is escaped.
 */
#include "engine/busy_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"
#include "symbols/symbolize.h"
#include "target/target.h"

#define NAME_MAX_SHOWN 100 /* bytes of one function name in the error line */

void xs_busy_begin(struct xs_busy *b, pid_t pid, const struct xs_state *st)
{
	b->pid = pid;
	b->set = false;
	b->note_due = false;
	b->note_done = false;
	b->more_funcs = false;
	b->nin = b->nunwound = b->nthreads = b->nfuncs = 0;
	for (size_t i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &st->payloads[i];
		struct xs_busy_payload *d = &b->payloads[i];

		d->used = p->used;
		memcpy(d->id, p->id, sizeof(d->id));
		d->id[sizeof(d->id) - 1] = '\0';
		d->base = p->base;
		d->size = p->size;
		d->funcs_addr = p->funcs_addr;
		d->nfuncs = p->nfuncs;
	}
}

static void add_func(struct xs_busy *b, int slot, uint32_t func)
{
	for (size_t i = 0; i < b->nfuncs; i++)
		if (b->funcs[i].slot == slot && b->funcs[i].func == func)
			return;
	if (b->nfuncs == XS_BUSY_FUNCS)
		b->more_funcs = true;
	else
		b->funcs[b->nfuncs++] = (struct xs_busy_func){ slot, func };
}

void xs_busy_add(struct xs_busy *b, struct xs_busy_thread *th, pid_t tid, bool unwound,
                 const struct xs_frame *frames, size_t n, size_t hit, uint64_t pc, int slot,
                 uint32_t func)
{
	struct xs_busy_thread *d = th;

	if (!d) {
		if (unwound) {
			b->nin++;
			add_func(b, slot, func);
		} else {
			b->nunwound++;
		}
		if (b->nthreads == XS_BUSY_THREADS)
			return;
		d = &b->th[b->nthreads++];
	}
	d->tid = tid;
	d->unwound = unwound;
	d->total = (uint32_t)n;
	d->nframes = n < XS_BUSY_FRAMES ? (uint32_t)n : XS_BUSY_FRAMES;
	for (size_t k = 0; k < d->nframes; k++)
		d->frames[k] = frames[k].pc;
	if (!n) {
		d->frames[0] = pc;
		d->nframes = 1;
	}
	d->hit = (uint32_t)hit;
	d->hit_pc = pc;
	d->slot = unwound ? slot : -1;
	d->func = func;
}

void xs_busy_done(struct xs_busy *b)
{
	xs_symbolizer_free(b->z);
	b->z = NULL;
}

/* --- naming, after the stop ---------------------------------------------------------- */

static const struct xs_busy_payload *payload_of(const struct xs_busy *b, int slot)
{
	return slot >= 0 && slot < XS_STATE_MAX_PAYLOADS && b->payloads[slot].used ?
	           &b->payloads[slot] :
	           NULL;
}

static void payload_id(const struct xs_busy *b, int slot, char *buf, size_t len)
{
	const struct xs_busy_payload *p = payload_of(b, slot);

	xs_text_safe_buf(buf, len, p ? p->id : "?", XS_ID_MAX);
}

/* Function func (1 + index) of the payload in slot, by the name its funcs
 * table points to; its address, or its index, when that cannot be read. */
static void func_name(const struct xs_busy *b, int slot, uint32_t func, char *buf, size_t len)
{
	const struct xs_busy_payload *p = payload_of(b, slot);
	const char *known = p && func && b->name_of ? b->name_of(b->name_arg, p->id, func) : NULL;
	struct xsplice_func f;
	char raw[256];

	if (known) {
		xs_text_safe_buf(buf, len, known, SIZE_MAX);
		return;
	}
	if (!p || !func || func > p->nfuncs ||
	    xs_proc_read(b->pid, p->funcs_addr + (func - 1) * sizeof(f), &f, sizeof(f))) {
		snprintf(buf, len, "#%u", func);
		return;
	}
	/* The name may end near the end of its mapping: a shorter read then. */
	for (size_t want = sizeof(raw) - 1; want >= 16; want /= 4)
		if (!xs_proc_read(b->pid, (uintptr_t)f.name, raw, want)) {
			raw[want] = '\0';
			xs_text_safe_buf(buf, len, raw, SIZE_MAX);
			return;
		}
	snprintf(buf, len, "0x%llx", (unsigned long long)(uintptr_t)f.old_addr);
}

/* "function compute", or "the code of payload fix" (its own, at revert). */
static void code_name(const struct xs_busy *b, int slot, uint32_t func, char *buf, size_t len)
{
	char id[XS_ID_MAX * 4];

	if (func) {
		func_name(b, slot, func, buf, len);
		return;
	}
	payload_id(b, slot, id, sizeof(id));
	snprintf(buf, len, "the code of payload %s", id);
}

static void symbolizer(struct xs_busy *b)
{
	if (!b->z && xs_symbolizer_new(b->pid, &b->z))
		b->z = NULL; /* addresses then */
}

/* One frame: in a payload's code (no file behind it) by payload, else symbolized. */
static void frame_text(struct xs_busy *b, uint64_t pc, bool ret, char *buf, size_t len)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_busy_payload *p = &b->payloads[i];
		char id[XS_ID_MAX * 4];

		if (p->used && pc - p->base < p->size) {
			payload_id(b, i, id, sizeof(id));
			snprintf(buf, len, "0x%llx (payload %s+0x%llx)", (unsigned long long)pc, id,
			         (unsigned long long)(pc - p->base));
			return;
		}
	}
	xs_symbolize(b->z, pc, ret, buf, len);
}

/* Errors while naming only cost detail: the pending message, if any, stays. */
static void keep_message(bool had)
{
	if (!had)
		xs_error_clear();
}

void xs_busy_wait_note(struct xs_busy *b)
{
	const struct xs_busy_thread *t = &b->note;
	bool had = xs_error_message()[0];
	char fn[256], at[512];
	long left;

	if (!b->note_due || b->note_done)
		return;
	b->note_due = false;
	b->note_done = true;
	symbolizer(b);
	code_name(b, t->slot, t->func, fn, sizeof(fn));
	frame_text(b, t->hit_pc, t->hit > 0, at, sizeof(at));
	left = b->timeout_ms - (long)(xs_now_ms() - b->start_ms);
	xs_note("pid %d: waiting up to %ld ms for thread %d to leave %s, at %s", b->pid,
	        left > 0 ? left : 0, t->tid, fn, at);
	keep_message(had);
}

static void thread_lines(struct xs_busy *b, const struct xs_busy_thread *t)
{
	char what[300], line[600];

	if (t->unwound) {
		code_name(b, t->slot, t->func, what, sizeof(what));
		xs_error_detail("thread %d is in %s%s:", t->tid, t->func ? "function " : "", what);
	} else {
		xs_error_detail(
		    "thread %d could not be unwound past frame #%u, so it is not known to be safe:",
		    t->tid, t->nframes - 1);
	}
	for (uint32_t k = 0; k < t->nframes; k++) {
		frame_text(b, t->frames[k], k > 0, line, sizeof(line));
		xs_error_detail("  #%u %s%s", k, line,
		                t->unwound && k == t->hit ? "  <- here" : "");
	}
	if (t->unwound && t->hit >= t->nframes) {
		frame_text(b, t->hit_pc, true, line, sizeof(line));
		xs_error_detail("  ...");
		xs_error_detail("  #%u %s  <- here", t->hit, line);
	}
	if (t->total > t->nframes && !(t->unwound && t->hit + 1 >= t->total))
		xs_error_detail("  ... %u frames in all", t->total);
}

/* ", " between items of a list in buf. */
static void append(char *buf, size_t len, const char *item)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "", NAME_MAX_SHOWN, item);
}

int xs_busy_report(struct xs_busy *b)
{
	char funcs[512] = "", ids[256] = "", item[300], id[XS_ID_MAX * 4], more[64] = "";
	size_t named = 0;

	xs_error_details_clear();
	symbolizer(b);
	for (size_t i = 0; i < b->nthreads; i++)
		thread_lines(b, &b->th[i]);
	if (b->nin + b->nunwound > b->nthreads)
		xs_error_detail("and %zu more thread(s) like these, not listed",
		                b->nin + b->nunwound - b->nthreads);
	for (size_t i = 0; i < b->nfuncs; i++) {
		const struct xs_busy_func *f = &b->funcs[i];
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= b->funcs[k].slot == f->slot;
		payload_id(b, f->slot, id, sizeof(id));
		if (!seen)
			append(ids, sizeof(ids), id);
		code_name(b, f->slot, f->func, item, sizeof(item));
		named += f->func != 0;
		append(funcs, sizeof(funcs), item);
	}
	if (b->more_funcs)
		append(funcs, sizeof(funcs), "...");
	if (b->nunwound)
		snprintf(more, sizeof(more), ", and %zu more could not be unwound", b->nunwound);
	if (!b->nin) {
		const struct xs_busy_thread *t = &b->th[0];

		frame_text(b, t->frames[t->nframes - 1], t->nframes > 1, item, sizeof(item));
		return xs_fail_kind(
		    XS_FAIL_BUSY, -EBUSY,
		    "pid %d: %zu thread(s) could not be unwound after %ld ms (thread %d at %s), so they are not known to be safe; try a longer --timeout",
		    b->pid, b->nunwound, b->waited_ms, t->tid, item);
	}
	return xs_fail_kind(
	    XS_FAIL_BUSY, -EBUSY,
	    "pid %d: payload %s: %zu thread%s still in %s%s after %ld ms%s; try a longer --timeout, or, if it never returns, also patch the caller that loops",
	    b->pid, ids, b->nin, b->nin == 1 ? "" : "s",
	    named == 1 ? "function " :
	    named > 1  ? "functions " :
	                 "",
	    funcs, b->waited_ms, more);
}
