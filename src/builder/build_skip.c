/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: changed functions that cannot take effect in a running
 * process. main and constructors ran at start-up (main never returns: it is
 * always on a stack, so apply would stay busy for ever); replacing them
 * changes nothing the process will run again. They are left out with a
 * warning, the way kpatch leaves out __init code, and the rest is built;
 * --skip FUNC leaves out any other changed function, --include FUNC replaces
 * main or a constructor all the same. A left-out function stays the running
 * original, which replaced code still calls by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/build.h"
#include "common/error.h"

/* Does the option value v name function symbol i of o: "name" or
 * "file.c#name"? */
static bool names(const char *v, const struct xb_obj *o, unsigned i)
{
	const char *n = o->sym[i].name, *hash = strchr(v, '#');

	if (!hash)
		return !strcmp(v, n);
	return (size_t)(hash - v) == strlen(o->file) && !strncmp(v, o->file, (size_t)(hash - v)) &&
	       !strcmp(hash + 1, n);
}

static bool listed(const char *const *list, size_t n, bool *used, const struct xb_obj *o,
                   unsigned i)
{
	bool hit = false;

	for (size_t k = 0; k < n; k++)
		if (names(list[k], o, i))
			hit = used[k] = true;
	return hit;
}

static bool starts(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* Is text section sec of o pointed to by .init_array, .ctors or
 * .preinit_array: run by the dynamic loader before main? */
static bool is_ctor(const struct xb_obj *o, unsigned sec)
{
	for (size_t i = 1; i < o->nsec; i++) {
		const char *n = o->sec[i].name;

		if (!starts(n, ".init_array") && !starts(n, ".ctors") &&
		    !starts(n, ".preinit_array"))
			continue;
		for (size_t k = 0; k < o->sec[i].nrel; k++) {
			struct xb_target t;

			xb_rel_target(o, &o->sec[i].rel[k], &t);
			if (t.kind != XB_T_UNDEF && t.sec == sec)
				return true;
		}
	}
	return false;
}

/* The function in section i stays the running one, with its .cold parts. */
static void leave_out(struct xb_pair *pr, unsigned i)
{
	struct xb_obj *p = pr->patched;

	for (size_t k = 1; k < p->nsec; k++) {
		if (k != i && p->sec[k].parent != i)
			continue;
		if (p->sec[k].state == XB_NEW)
			pr->nnew--;
		else if (p->sec[k].state == XB_CHANGED && k == i)
			pr->nchanged--;
		p->sec[k].state = XB_SAME;
	}
	pr->nskipped++;
}

/* dry: only mark which --skip and --include names are used. */
static void skip_pair(struct xb_pair *pr, const struct xb_opts *o, bool *used_skip, bool *used_incl,
                      bool dry)
{
	struct xb_obj *p = pr->patched;

	for (size_t i = 1; i < p->nsec; i++) {
		const struct xb_sec *s = &p->sec[i];
		const struct xb_sym *f = &p->sym[s->func];
		const char *why;

		if (s->state != XB_CHANGED || s->parent || !s->func)
			continue;
		if (listed(o->skip, o->nskip, used_skip, p, s->func)) {
			if (dry)
				continue;
			xs_note(
			    "warning: %s%s%s: changed, but left out by --skip: not replaced (the running one stays); the rest is built",
			    f->bind == STB_LOCAL ? p->file : "", f->bind == STB_LOCAL ? "#" : "",
			    f->name);
			leave_out(pr, (unsigned)i);
			continue;
		}
		if (listed(o->want, o->nwant, used_incl, p, s->func))
			continue;
		if (f->bind != STB_LOCAL && !strcmp(f->name, "main") && !pr->lib)
			why = "it runs once at start-up and never returns";
		else if (is_ctor(p, (unsigned)i))
			why = "it is a constructor, run once at start-up";
		else
			continue;
		if (dry)
			continue;
		xs_note(
		    "warning: %s%s%s: changed, but %s: not replaced (the running one stays); the rest is built; --include %s replaces it",
		    f->bind == STB_LOCAL ? p->file : "", f->bind == STB_LOCAL ? "#" : "", f->name,
		    why, f->name);
		leave_out(pr, (unsigned)i);
	}
}

/* Every --skip and --include must name a changed function: a typo would
 * otherwise replace main or ship the change the user meant to hold back. */
static int unused(const char *opt, const char *const *list, size_t n, const bool *used)
{
	for (size_t k = 0; k < n; k++)
		if (!used[k])
			return xs_fail_kind(
			    XS_FAIL_USAGE, -EINVAL,
			    "%s %s: the diff changes no function of that name (name or file.c#name)",
			    opt, list[k]);
	return 0;
}

int xb_skip_startup(struct xb_pair *pairs, size_t n, const struct xb_opts *o)
{
	bool *us = calloc(o->nskip + 1, sizeof(bool)), *ui = calloc(o->nwant + 1, sizeof(bool));
	int rc = us && ui ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !rc; i++)
		skip_pair(&pairs[i], o, us, ui, true);
	if (!rc)
		rc = unused("--skip", o->skip, o->nskip, us);
	if (!rc)
		rc = unused("--include", o->want, o->nwant, ui);
	for (size_t i = 0; i < n && !rc; i++)
		skip_pair(&pairs[i], o, us, ui, false);
	free(us);
	free(ui);
	return rc;
}
