/* SPDX-License-Identifier: MIT */
/* Patch sites seen through the payloads applied there (see site_view.h). */
#include "engine/site_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

struct layer {
	int slot;
	uint64_t seq;
	uint32_t n;
	struct xs_fstate *fs;
};

struct xs_layers {
	size_t n;
	struct layer v[XS_STATE_MAX_PAYLOADS];
};

static int by_seq(const void *a, const void *b)
{
	const struct layer *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int xs_layers_load(struct xs_session *s, struct xs_layers **out)
{
	struct xs_layers *l = calloc(1, sizeof(*l));
	int rc = l ? 0 : xs_fail(-ENOMEM, "pid %d: no memory", s->pid);

	for (int i = 0; !rc && i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &s->state->payloads[i];
		struct layer *y = &l->v[l->n];

		if (!p->used || p->status != XS_STATUS_APPLIED || !p->nfuncs)
			continue;
		*y =
		    (struct layer){ i, p->apply_seq, p->nfuncs, calloc(p->nfuncs, sizeof(*y->fs)) };
		rc = y->fs ? xs_fstate_read(s, i, y->fs) :
		             xs_fail(-ENOMEM, "payload %s: no memory", p->id);
		l->n++;
	}
	if (!rc)
		qsort(l->v, l->n, sizeof(l->v[0]), by_seq);
	if (rc)
		xs_layers_free(l);
	else
		*out = l;
	return rc;
}

void xs_layers_free(struct xs_layers *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].fs);
	free(l);
}

/* Layer y's record of a patch at addr that fits the view, or NULL. */
static const struct xs_fstate *record_at(const struct layer *y, uint64_t addr)
{
	for (uint32_t f = 0; f < y->n; f++) {
		const struct xs_fstate *r = &y->fs[f];

		/* Records are the target's to write: only what fits the view. */
		if (r->old_addr == addr && r->applied && r->len <= XSPLICE_EXPECT_MAX &&
		    r->patch_offset <= XS_EXPECT_READ - r->len)
			return r;
	}
	return NULL;
}

int xs_site_view(struct xs_session *s, const struct xs_layers *l, uint64_t addr,
                 struct xs_site_view *v)
{
	int rc = xs_session_read(s, addr, v->live, sizeof(v->live));

	if (rc)
		return rc;
	v->addr = addr;
	v->top = -1;
	memcpy(v->orig, v->live, sizeof(v->orig));
	for (size_t i = l->n; i-- > 0;) { /* undo, the last applied first */
		const struct xs_fstate *r = record_at(&l->v[i], addr);

		if (r)
			memcpy(v->orig + r->patch_offset, r->saved, r->len);
	}
	memcpy(v->want, v->orig, sizeof(v->want));
	for (size_t i = 0; i < l->n; i++) { /* redo, in the order applied */
		const struct xs_fstate *r = record_at(&l->v[i], addr);

		if (r) {
			memcpy(v->want + r->patch_offset, r->written, r->len);
			v->top = l->v[i].slot;
		}
	}
	return 0;
}

int xs_site_expect(struct xs_session *s, const struct xs_site_view *v, unsigned po,
                   const struct xsplice_expect *e, const char *id, const char *name)
{
	char what[128];
	size_t at;

	if (!e->enabled)
		return 0;
	if (memcmp(v->orig + po, e->data, e->len)) {
		xs_expect_describe(v->orig + po, e->data, e->len, what, sizeof(what), &at);
		if (v->top < 0)
			return xs_fail(-EINVAL, "payload %s: function %s at 0x%llx: %s", id, name,
			               (unsigned long long)(v->addr + po + at), what);
		return xs_fail(
		    -EINVAL, "payload %s: function %s at 0x%llx: %s (before payload %s patched it)",
		    id, name, (unsigned long long)(v->addr + po + at), what,
		    s->state->payloads[v->top].id);
	}
	/* The payloads applied here left it as they say they did. */
	if (memcmp(v->live + po, v->want + po, sizeof(v->live) - po)) {
		xs_expect_describe(v->live + po, v->want + po, sizeof(v->live) - po, what,
		                   sizeof(what), &at);
		return xs_fail(-EINVAL,
		               "payload %s: function %s at 0x%llx: %s (as payload %s left it)", id,
		               name, (unsigned long long)(v->addr + po + at), what,
		               s->state->payloads[v->top].id);
	}
	return 0;
}
