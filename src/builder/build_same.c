/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: is a function as built from orig/ the code in the running
 * binary? Compared instruction by instruction, because the build adds
 * -ffunction-sections and the assembler cannot relax a jump to another
 * section: the binary's `jmp rel8` to a function of the same file is a
 * `jmp rel32` as built, and the code after it (and its alignment padding)
 * moves. Two instructions are the same when they are the same operation
 * and reach the same place (branches), or have the same bytes and their
 * relocated fields refer to the same thing (everything else).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

struct ins {
	uint64_t off; /* from the function's start */
	struct xs_arch_insn i;
};

/* One function's code, decoded: its instructions without the padding, and
 * for every offset the index of the first of them at or after it (-1: not
 * an instruction's start). */
struct code {
	const unsigned char *bytes;
	uint64_t n, addr;
	struct ins *ins;
	size_t count;
	long *at; /* n + 1 entries */
};

static void code_free(struct code *c)
{
	free(c->ins);
	free(c->at);
}

static int decode_all(struct xs_arch_dec *d, struct code *c)
{
	uint64_t off = 0;
	size_t cap = 0;
	long next;

	c->at = malloc((c->n + 1) * sizeof(*c->at));
	if (!c->at)
		return -ENOMEM;
	for (uint64_t x = 0; x <= c->n; x++)
		c->at[x] = -1;
	while (off < c->n) {
		struct xs_arch_insn i;
		int rc = xs_arch_decode(d, c->bytes + off, c->n - off, c->addr + off, &i);

		if (rc)
			return rc;
		c->at[off] = -2; /* an instruction starts here */
		if (!i.nop) {
			if (c->count == cap) {
				struct ins *v;

				cap = cap ? 2 * cap : 64;
				v = realloc(c->ins, cap * sizeof(*v));
				if (!v)
					return -ENOMEM;
				c->ins = v;
			}
			c->ins[c->count++] = (struct ins){ off, i };
		}
		off += i.len;
	}
	next = (long)c->count;
	c->at[c->n] = next;
	for (size_t k = c->count; k-- > 0;)
		c->at[c->ins[k].off] = (long)k;
	/* padding: the instruction after it */
	for (uint64_t x = c->n; x-- > 0;) {
		if (c->at[x] >= 0)
			next = c->at[x];
		else if (c->at[x] == -2)
			c->at[x] = next;
	}
	return 0;
}

/* Index of the instruction at offset x of c (padding: the one after it). */
static long index_at(const struct code *c, uint64_t x)
{
	return x <= c->n ? c->at[x] : -1;
}

/* The first relocation of s inside instruction x, NULL: none. */
static const struct xb_rel *rel_in(const struct xb_sec *s, const struct ins *x)
{
	for (size_t k = 0; k < s->nrel; k++)
		if (s->rel[k].off >= x->off && s->rel[k].off < x->off + x->i.len)
			return &s->rel[k];
	return NULL;
}

struct cmp {
	const struct xb_obj *o;
	const struct xb_sec *s;
	const struct xb_tgt *t;
	struct code a, b;       /* as built (address 0), the binary's */
	bool inner;             /* second pass: the branches inside the function */
	unsigned refs, checked; /* relocated fields, and those followed */
	char *why;
	size_t len;
};

static int differ(struct cmp *c, const struct ins *x, const struct ins *y, const char *what)
{
	const char *tp = xb_tgt_path(c->t);
	char at[40] = "";

	if (x && y && x->off != y->off)
		snprintf(at, sizeof(at), " (+0x%llx)", (unsigned long long)x->off);
	if (x && y)
		snprintf(c->why, c->len, "differs at +0x%llx: '%s' in %s, '%s' as built%s%s",
		         (unsigned long long)y->off, y->i.text, tp, x->i.text, at, what);
	else if (y)
		snprintf(c->why, c->len, "has more code in %s from +0x%llx ('%s') than as built",
		         tp, (unsigned long long)y->off, y->i.text);
	else
		snprintf(c->why, c->len, "has more code as built from +0x%llx ('%s') than in %s",
		         (unsigned long long)x->off, x->i.text, tp);
	return -ESTALE;
}

static const struct xs_arch_reloc_info *info(const struct xb_rel *r)
{
	return xs_arch_reloc_info(r->type);
}

/* From r's field in x to the PC it is counted from. */
static int64_t pc_bias(const struct ins *x, const struct xb_rel *r)
{
	return xs_arch_insn_pc_bias(x->i.len, (unsigned)(r->off - x->off));
}

/* r refers to a global symbol called name (as a dynamic relocation or PLT
 * entry of the binary names it). */
static bool named(const struct cmp *c, const struct xb_rel *r, const char *name)
{
	const struct xb_sym *sym = &c->o->sym[r->sym];

	return sym->type != STT_SECTION && sym->bind != STB_LOCAL && !strcmp(sym->name, name);
}

/* Where relocation r of instruction x lands in the binary (what the linker
 * put there: S + A, and for PC-relative fields, or GOT ones it relaxed,
 * measured from the PC x counts from): 1; 0: not known here (TLS forms, a symbol
 * without a name); -ENOENT: the binary has no such symbol. */
static int rel_dest(const struct cmp *c, const struct ins *x, const struct xb_rel *r,
                    uint64_t *dest)
{
	const struct xs_arch_reloc_info *ri = info(r);
	bool pc = ri->pc_relative;
	uint64_t s;
	int rc;

	/* 32-bit fields to the symbol, directly, by a call or through the GOT */
	if (ri->width != 4 || ri->kind == XS_ARCH_RELOC_OTHER)
		return 0;
	rc = xb_tgt_addr_of(c->t, c->o, r->sym, &s);
	if (rc <= 0)
		return rc;
	*dest = s + (uint64_t)r->addend;
	if (pc)
		*dest += (uint64_t)pc_bias(x, r);
	return 1;
}

/* What the binary's field of r (in instruction y) points at. */
static uint64_t field_dest(const struct cmp *c, const struct ins *x, const struct ins *y,
                           const struct xb_rel *r)
{
	uint64_t at = y->off + (r->off - x->off);

	return xs_arch_reloc_read(r->type, c->b.bytes + at, c->b.addr + at,
	                          xs_arch_insn_pc_bias(y->i.len, (unsigned)(r->off - x->off)));
}

static bool sec_merged(const struct xb_obj *o, const struct xb_rel *r)
{
	unsigned shndx = o->sym[r->sym].s.st_shndx;

	return shndx && shndx < o->nsec && (o->sec[shndx].sh.sh_flags & SHF_MERGE);
}

/* A literal of a merged section (.LC3 in .rodata.str1.1): the binary's copy
 * at dest holds the same string or constant. true: not such a literal. */
static bool literal_same(const struct cmp *c, const struct ins *x, const struct xb_rel *r,
                         uint64_t dest)
{
	const struct xb_sym *sym = &c->o->sym[r->sym];
	const struct xb_sec *sec;
	const unsigned char *theirs;
	int64_t off;
	uint64_t len;

	if (sym->s.st_shndx == SHN_UNDEF || sym->s.st_shndx >= c->o->nsec)
		return true;
	sec = &c->o->sec[sym->s.st_shndx];
	if (!(sec->sh.sh_flags & SHF_MERGE) || !sec->data || info(r)->kind != XS_ARCH_RELOC_DATA ||
	    info(r)->width != 4)
		return true;
	off = (int64_t)sym->s.st_value + r->addend;
	if (info(r)->pc_relative)
		off += pc_bias(x, r);
	if (off < 0 || (uint64_t)off >= sec->sh.sh_size)
		return false;
	if (sec->sh.sh_flags & SHF_STRINGS)
		len = strnlen((const char *)sec->data + off, sec->sh.sh_size - (uint64_t)off) + 1;
	else
		len = sec->sh.sh_entsize ? sec->sh.sh_entsize : 1;
	if ((uint64_t)off + len > sec->sh.sh_size)
		return false;
	theirs = xb_tgt_bytes(c->t, dest, len);
	return theirs && !memcmp(theirs, sec->data + off, len);
}

/* "; in T it goes to twin, as built to helper": where a field of x (r) and
 * of the binary's instruction (have) lead, for a message. */
static int differ_ref(struct cmp *c, const struct ins *x, const struct ins *y,
                      const struct xb_rel *r, uint64_t have)
{
	const struct xb_sym *sym = &c->o->sym[r->sym];
	const char *name = sym->name;
	char theirs[160], what[400], off[32] = "";
	int64_t add = r->addend + (info(r)->pc_bias ? pc_bias(x, r) : 0);

	if (sym->type == STT_SECTION && sym->s.st_shndx < c->o->nsec) {
		const struct xb_sec *sec = &c->o->sec[sym->s.st_shndx];

		name = sec->func ? c->o->sym[sec->func].name : sec->name;
	}
	xb_tgt_name_at(c->t, have, theirs, sizeof(theirs));
	if (add)
		snprintf(off, sizeof(off), "%+lld", (long long)add);
	snprintf(what, sizeof(what), "; in %s it leads to %s, as built to %s%s", xb_tgt_path(c->t),
	         theirs, name, off);
	return differ(c, x, y, what);
}

/* Same length and bytes, apart from what the linker may rewrite. */
static int bytes_same(struct cmp *c, const struct ins *x, const struct ins *y)
{
	unsigned char mask[32] = { 0 };

	if (x->i.len != y->i.len || x->i.len > sizeof(mask))
		return differ(c, x, y, "");
	for (size_t k = 0; k < c->s->nrel; k++) {
		uint64_t from, to;

		xb_rel_mask(&c->s->rel[k], &from, &to);
		for (uint64_t z = from; z < to; z++)
			if (z >= x->off && z < x->off + x->i.len)
				mask[z - x->off] = 1;
	}
	for (unsigned z = 0; z < x->i.len; z++)
		if (!mask[z] && c->a.bytes[x->off + z] != c->b.bytes[y->off + z])
			return differ(c, x, y, "");
	return 0;
}

/* The same bytes, and the relocated fields refer to the same. */
static int same_plain(struct cmp *c, const struct ins *x, const struct ins *y)
{
	int rc = bytes_same(c, x, y);

	for (size_t k = 0; !rc && k < c->s->nrel; k++) {
		const struct xb_rel *r = &c->s->rel[k];
		uint64_t want, have;

		if (r->off < x->off || info(r)->width != 4 || r->off + 4 > x->off + x->i.len)
			continue;
		if (info(r)->kind != XS_ARCH_RELOC_DATA && info(r)->kind != XS_ARCH_RELOC_BRANCH)
			continue; /* GOT, TLS: the linker may rewrite them */
		have = field_dest(c, x, y, r);
		rc = rel_dest(c, x, r, &want);
		c->refs++;
		c->checked += rc != 0 || sec_merged(c->o, r);
		if (rc < 0 || (rc > 0 && want != have) || !literal_same(c, x, r, have))
			return differ_ref(c, x, y, r, have);
		rc = 0;
	}
	return rc;
}

/* Same operation, and the same place reached. */
static int same_branch(struct cmp *c, const struct ins *x, const struct ins *y)
{
	const struct xb_rel *r = rel_in(c->s, x);
	uint64_t want;

	if (!x->i.branch || !y->i.branch || x->i.op != y->i.op)
		return differ(c, x, y, "");
	if (r && c->inner)
		return 0; /* checked in the first pass */
	if (r) {
		/* To another section: where the relocation says, or to the
		 * PLT entry of the same name (another object's function, or
		 * a library's own global). */
		const char *plt = NULL;
		int rc;

		c->refs++;
		if (xb_tgt_in(c->t, y->i.target, ".plt")) {
			plt = xb_tgt_plt_name(c->t, y->i.target);
			c->checked += plt != NULL;
			if (plt && !named(c, r, plt))
				return differ_ref(c, x, y, r, y->i.target);
			return 0;
		}
		rc = rel_dest(c, x, r, &want);
		c->checked += rc != 0;
		if (rc < 0 || (rc > 0 && want != y->i.target))
			return differ_ref(c, x, y, r, y->i.target);
		return 0;
	}
	/* Inside the function: the same instruction of it. Checked once all
	 * instructions compared equal, so that a message names the first
	 * that differs, not a branch over it. */
	if (!c->inner)
		return 0;
	if (y->i.target < c->b.addr || index_at(&c->a, x->i.target) < 0 ||
	    index_at(&c->a, x->i.target) != index_at(&c->b, y->i.target - c->b.addr))
		return differ(c, x, y, "; it reaches another instruction of the function");
	return 0;
}

/* x goes through a GOT slot (r): the binary's instruction reads the slot,
 * or the linker relaxed it to a lea, mov $imm, a direct call or jmp (the
 * jmp one byte shorter, a nop after it). The slot's dynamic relocation
 * names the symbol; a relaxed form reaches the symbol itself. */
static int same_got(struct cmp *c, const struct ins *x, const struct ins *y, const struct xb_rel *r)
{
	const char *name;
	uint64_t have, want;
	int rc;

	if (y->i.branch) {
		if (x->i.op != y->i.op)
			return differ(c, x, y, "");
		have = y->i.target;
	} else {
		rc = bytes_same(c, x, y);
		if (rc)
			return rc;
		if (!y->i.pc_mem) {
			c->refs++;
			return 0; /* an immediate now (non-PIE): not followed */
		}
		have = y->i.mem;
	}
	c->refs++;
	if (xb_tgt_in(c->t, have, ".got")) {
		name = xb_tgt_slot_name(c->t, have);
		c->checked += name != NULL;
		return name && !named(c, r, name) ? differ_ref(c, x, y, r, have) : 0;
	}
	rc = rel_dest(c, x, r, &want);
	c->checked += rc != 0;
	if (rc < 0 || (rc > 0 && want != have))
		return differ_ref(c, x, y, r, have);
	return 0;
}

/* x's relocation through the GOT, NULL: none. */
static const struct xb_rel *got_in(const struct xb_sec *s, const struct ins *x)
{
	const struct xb_rel *r = rel_in(s, x);

	return r && info(r)->kind == XS_ARCH_RELOC_GOT && info(r)->width == 4 ? r : NULL;
}

int xb_same_code(struct xs_arch_dec *d, const struct xb_obj *o, const struct xb_sec *s,
                 const struct xb_tgt *t, const unsigned char *theirs, uint64_t n, uint64_t addr,
                 char *why, size_t len)
{
	struct cmp c = { .o = o, .s = s, .t = t, .why = why, .len = len };
	int rc;

	c.a = (struct code){ .bytes = s->data, .n = s->data ? s->sh.sh_size : 0 };
	c.b = (struct code){ .bytes = theirs, .n = n, .addr = addr };
	rc = decode_all(d, &c.a);
	if (!rc)
		rc = decode_all(d, &c.b);
	for (int pass = 0; pass < 2 && !rc; pass++) {
		c.inner = pass;
		for (size_t k = 0; !rc && (k < c.a.count || k < c.b.count); k++) {
			const struct ins *x = k < c.a.count ? &c.a.ins[k] : NULL;
			const struct ins *y = k < c.b.count ? &c.b.ins[k] : NULL;

			if (!x || !y)
				rc = differ(&c, x, y, "");
			else if (got_in(s, x))
				rc = pass ? 0 : same_got(&c, x, y, got_in(s, x));
			else if (x->i.branch || y->i.branch)
				rc = same_branch(&c, x, y);
			else if (!pass)
				rc = same_plain(&c, x, y);
		}
	}
	if (!rc)
		xs_debug("build: %s: %zu instructions, %u of %u relocated fields followed",
		         o->sym[s->func].name, c.a.count, c.checked, c.refs);
	code_free(&c.a);
	code_free(&c.b);
	return rc;
}
