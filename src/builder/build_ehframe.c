/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: the payload's .eh_frame, cut down from the patched object's
 * to the FDEs of the functions the payload carries (and their CIEs), so the
 * stack check can unwind through the new code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/build.h"
#include "common/error.h"

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The section an FDE covers (through its pc_begin relocation), 0: unknown. */
static unsigned fde_section(const struct xb_obj *p, const struct xb_sec *eh, uint64_t off)
{
	for (size_t k = 0; k < eh->nrel; k++)
		if (eh->rel[k].off == off + 8) {
			unsigned shndx = p->sym[eh->rel[k].sym].s.st_shndx;

			return shndx < p->nsec ? shndx : 0;
		}
	return 0;
}

struct eh_cut {
	unsigned char *buf;
	size_t len;
	uint64_t *old_off, *new_off; /* kept records */
	size_t n;
};

static bool kept(const struct xb_obj *p, const struct xb_sec *eh, uint64_t off)
{
	unsigned s = fde_section(p, eh, off);

	return s && p->sec[s].include;
}

/* Copy the wanted records; FDEs get their CIE pointer recomputed. */
static int cut(const struct xb_obj *p, const struct xb_sec *eh, struct eh_cut *c)
{
	uint64_t size = eh->sh.sh_size;

	c->buf = malloc(size);
	c->old_off = calloc(size / 8 + 1, sizeof(uint64_t));
	c->new_off = calloc(size / 8 + 1, sizeof(uint64_t));
	if (!c->buf || !c->old_off || !c->new_off)
		return -ENOMEM;
	for (uint64_t off = 0; off + 8 <= size;) {
		uint32_t len = u32_at(eh->data + off), id = u32_at(eh->data + off + 4);
		bool want;

		if (len == 0)
			break;
		if (len == 0xffffffffu || off + 4 + len > size)
			return xs_fail(-EOPNOTSUPP,
			               "%s: .eh_frame record at 0x%llx: unsupported length",
			               p->path, (unsigned long long)off);
		/* A CIE is kept when a kept FDE after it points at it. */
		want = id == 0 ? false : kept(p, eh, off);
		if (id == 0) {
			for (uint64_t f = off + 4 + len; f + 8 <= size && !want;) {
				uint32_t fl = u32_at(eh->data + f), fi = u32_at(eh->data + f + 4);

				if (fl == 0 || fl == 0xffffffffu)
					break;
				want = fi && f + 4 - fi == off && kept(p, eh, f);
				f += 4 + fl;
			}
		}
		if (want) {
			memcpy(c->buf + c->len, eh->data + off, 4 + len);
			if (id) {
				uint64_t cie = off + 4 - id, ncie = 0;

				for (size_t k = 0; k < c->n; k++)
					if (c->old_off[k] == cie)
						ncie = c->new_off[k];
				uint32_t nid = (uint32_t)(c->len + 4 - ncie);

				memcpy(c->buf + c->len + 4, &nid, 4);
			}
			c->old_off[c->n] = off;
			c->new_off[c->n++] = c->len;
			c->len += 4 + len;
		}
		off += 4 + len;
	}
	return 0;
}

/* Relocations of the kept records, moved to their new offsets. */
static int relocate(struct xb_pair *pr, const struct xb_sec *eh, const struct eh_cut *c,
                    struct xb_writer *w, unsigned out)
{
	for (size_t k = 0; k < eh->nrel; k++) {
		const struct xb_rel *r = &eh->rel[k];

		for (size_t j = 0; j < c->n; j++) {
			uint64_t start = c->old_off[j];
			uint32_t len = u32_at(eh->data + start);
			unsigned sym;
			int64_t addend;
			int rc;

			if (r->off < start || r->off >= start + 4 + len)
				continue;
			rc = xb_emit_rel_sym(pr, w, r, &sym, &addend);
			if (!rc)
				rc = xbw_reloc(w, out, r->off - start + c->new_off[j], r->type, sym,
				               addend);
			if (rc)
				return rc;
			break;
		}
	}
	return 0;
}

int xb_emit_ehframe(struct xb_pair *pr, struct xb_writer *w)
{
	const struct xb_obj *p = pr->patched;
	struct eh_cut c = { 0 };
	const struct xb_sec *eh = NULL;
	unsigned out;
	int rc;

	for (size_t i = 1; i < p->nsec; i++)
		if (!strcmp(p->sec[i].name, ".eh_frame") && p->sec[i].data)
			eh = &p->sec[i];
	if (!eh)
		return 0; /* built without unwind tables */
	rc = cut(p, eh, &c);
	if (!rc && c.len) {
		GElf_Shdr sh = eh->sh;

		sh.sh_size = c.len;
		out = xbw_section(w, ".eh_frame", &sh, c.buf);
		rc = out ? relocate(pr, eh, &c, w, out) : -ENOMEM;
	}
	free(c.buf);
	free(c.old_off);
	free(c.new_off);
	return rc;
}
