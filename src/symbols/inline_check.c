/* SPDX-License-Identifier: MIT */
/*
 * The copies check's policy and its lines: which copies count (copies.c
 * finds them), how each is named (function, where its copy is, the source
 * line of the call), and whether they refuse the payload or only warn.
 */
#include "symbols/inline_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/copies.h"
#include "common/error.h"

#define MAX_LINES_PER_FUNC 10 /* then "and N more" */

/* s with control characters as '?': names come from the target's files. */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < len; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void where(const struct xs_copy *c, char *buf, size_t len)
{
	char f[256];

	if (c->file && c->line)
		snprintf(buf, len, "%s:%u", clean(c->file, f, sizeof(f)), c->line);
	else if (c->addr)
		snprintf(buf, len, "%#llx (no source line)", (unsigned long long)c->addr);
	else
		snprintf(buf, len, "an unknown place");
}

static void print_copy(const char *func, const struct xs_copy *c, bool warn)
{
	char at[320], holder[256], via[256], copy[256];
	const char *w = warn ? "warning: " : "";

	where(c, at, sizeof(at));
	clean(c->holder, holder, sizeof(holder));
	clean(c->copy, copy, sizeof(copy));
	switch (c->kind) {
	case XS_COPY_INLINED:
		if (c->via)
			xs_note(
			    "%s%s: inlined into %s (through %s) at %s: that copy keeps the old code",
			    w, func, holder, clean(c->via, via, sizeof(via)), at);
		else
			xs_note("%s%s: inlined into %s at %s: that copy keeps the old code", w,
			        func, holder, at);
		break;
	case XS_COPY_CALL:
		if (c->via)
			xs_note(
			    "%s%s: %s (through %s) calls %s, a copy of it, at %s: that call keeps the old code",
			    w, func, holder, clean(c->via, via, sizeof(via)), copy, at);
		else
			xs_note(
			    "%s%s: %s calls %s, a copy of it, at %s: that call keeps the old code",
			    w, func, holder, copy, at);
		break;
	case XS_COPY_CLONE:
		xs_note("%s%s: %s at %#llx is a copy of it that keeps the old code", w, func, copy,
		        (unsigned long long)c->addr);
		break;
	case XS_COPY_HIDDEN:
		clean(c->file, holder, sizeof(holder));
		if (c->maybe)
			xs_note(
			    "warning: %s: GCC inlined it in %s where DWARF shows no caller (folded into the caller's code): the payload replaces other functions of %s: make sure they are all those callers",
			    func, holder, holder);
		else
			xs_note(
			    "%s%s: GCC inlined it in %s where DWARF shows no caller (folded into the caller's code, a constant result say): its callers in %s keep the old code",
			    w, func, holder, holder);
		break;
	}
}

/* One line per copy (at most MAX_LINES_PER_FUNC a function); the count of
 * those that prove a copy left. */
static size_t print_copies(const struct xs_copies *cs, const char *const *names, size_t n,
                           bool warn)
{
	size_t maybe = 0;

	for (size_t i = 0; i < cs->n; i++)
		maybe += cs->v[i].maybe;
	for (size_t f = 0; f < n; f++) {
		size_t shown = 0, total = 0;

		for (size_t i = 0; i < cs->n; i++) {
			if (cs->v[i].func != f)
				continue;
			if (total++ < MAX_LINES_PER_FUNC) {
				print_copy(names[f], &cs->v[i], warn);
				shown++;
			}
		}
		if (total > shown)
			xs_note("%s%s: and %zu more copies", warn ? "warning: " : "", names[f],
			        total - shown);
	}
	if (cs->more)
		xs_note("%sand %zu more copies past those", warn ? "warning: " : "", cs->more);
	return cs->n + cs->more - maybe;
}

/* The functions DWARF could not speak for: inlining there is not seen. */
static void warn_blind(const struct xs_object *obj, const struct xs_copies *cs,
                       const struct xs_copy_func *funcs, size_t n)
{
	char list[512];
	size_t len = 0, k = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(list); i++) {
		if (funcs[i].described)
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", k++ ? ", " : "",
		                        funcs[i].name);
	}
	if (!k)
		return;
	if (!cs->dwarf)
		xs_note(
		    "warning: %s: %s: cannot see where %s %s inlined (build it with -g, or install its debug file)",
		    obj->path, cs->no_dwarf, list, k > 1 ? "were" : "was");
	else
		xs_note(
		    "warning: %s: its DWARF (%s) does not describe %s (assembly, or built without -g?): cannot see where %s inlined",
		    obj->path, cs->dwarf, list, k > 1 ? "they were" : "it was");
}

int xs_inline_check(struct xs_object *obj, const char *who, const char *const *names,
                    const uint64_t *addrs, size_t n, bool allow)
{
	struct xs_copy_func *funcs;
	struct xs_copies cs;
	long long t0 = xs_now_us();
	size_t count;
	int rc;

	if (!n) /* nothing to look for: spare reading the DWARF */
		return 0;
	funcs = calloc(n, sizeof(*funcs));
	if (!funcs)
		return xs_fail(-ENOMEM, "payload %s: out of memory", who);
	for (size_t i = 0; i < n; i++) {
		funcs[i].name = names[i];
		funcs[i].addr = addrs[i];
	}
	rc = xs_copies_find(obj, funcs, n, addrs, n, &cs);
	if (rc) {
		free(funcs);
		return rc;
	}
	xs_debug(
	    "payload %s: copies check of %zu function(s) in %s: %zu copies, %zu in replaced code, DWARF %s, %lld us",
	    who, n, obj->path, cs.n + cs.more, cs.skipped, cs.dwarf ? cs.dwarf : "none",
	    xs_now_us() - t0);
	warn_blind(obj, &cs, funcs, n);
	count = print_copies(&cs, names, n, allow);
	if (count && !allow)
		rc = xs_fail(
		    -EOPNOTSUPP,
		    "payload %s: %zu cop%s of the old code stay%s in place (listed above): replace %s too, or pass --allow-inlined to go on knowingly",
		    who, count, count > 1 ? "ies" : "y", count > 1 ? "" : "s",
		    count > 1 ? "the functions holding them" : "the function holding it");
	xs_copies_free(&cs);
	free(funcs);
	return rc;
}
