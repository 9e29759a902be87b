/* SPDX-License-Identifier: MIT */
/*
 * Payload reader, part 3: what the payload asks for — hook tables, the
 * build-id notes (its own, its target's, its dependency's) and the decoded
 * .xsplice.funcs table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "common/error.h"
#include "payload/payload_priv.h"

#define FUNC_SIZE sizeof(struct xsplice_func)
#define NOTE_ALIGN 4

/* 0 when there is no section of that name; -EINVAL (reported) when there are two. */
static int find_section(const struct xs_payload *p, const char *name, unsigned *out)
{
	*out = 0;
	for (unsigned i = 1; i < p->nsections; i++) {
		if (strcmp(p->sections[i].name, name))
			continue;
		if (*out)
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: a second section of that name (the first is [%u])",
			    p->name, i, name, *out);
		*out = i;
	}
	return 0;
}

static bool is_loaded_progbits(const struct xs_section *s)
{
	return s->shdr.sh_type == SHT_PROGBITS && (s->shdr.sh_flags & SHF_ALLOC) && s->data;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i])
			return false;
	}
	return true;
}

static const char *sym_label(const struct xs_payload *p, uint32_t sym)
{
	const struct xs_symbol *s = &p->syms[sym];

	if (s->name[0])
		return s->name;
	if (s->type == STT_SECTION && s->shndx < p->nsections)
		return xs_pl_secname(p, s->shndx);
	return "(unnamed)";
}

/* --- hooks --------------------------------------------------------------------- */

static int hook_kind(const char *kind)
{
	for (int k = 0; k < XS_HOOK_COUNT; k++) {
		if (!strcmp(kind, xs_hook_names[k]))
			return k;
	}
	return -1;
}

static int read_hook_slot(const struct xs_payload *p, unsigned i, size_t j)
{
	const char *sname = p->sections[i].name;
	const char *why;
	uint32_t sym;
	int64_t addend;

	why = xs_pl_slot(p, i, j * XS_ARCH_PTR_SIZE, &sym, &addend);
	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: hook %zu: %s", p->name, i, sname, j,
		               why);
	if (sym == 0)
		return xs_fail(-EINVAL, "%s: section [%u] %s: hook %zu is NULL", p->name, i, sname,
		               j);
	why = xs_pl_code_target(p, sym, addend);
	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: hook %zu: symbol %s%+lld %s", p->name,
		               i, sname, j, sym_label(p, sym), (long long)addend, why);
	return 0;
}

static int read_hook_section(struct xs_payload *p, unsigned i)
{
	struct xs_section *s = &p->sections[i];
	const char *kind = s->name + strlen(XSPLICE_HOOK_SECTION_PREFIX);
	int k = hook_kind(kind);
	size_t n;

	if (k < 0)
		return xs_fail(-EINVAL, "%s: section [%u] %s: unknown hook kind \"%s\"", p->name, i,
		               s->name, kind);
	if (!is_loaded_progbits(s))
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: a hook table must be allocated PROGBITS data",
		               p->name, i, s->name);
	if (p->hook_shndx[k])
		return xs_fail(
		    -EINVAL, "%s: section [%u] %s: a second table for %s hooks (the first is [%u])",
		    p->name, i, s->name, kind, p->hook_shndx[k]);
	if (s->shdr.sh_size % XS_ARCH_PTR_SIZE)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: size %llu is not a multiple of %d (function pointers)",
		    p->name, i, s->name, (unsigned long long)s->shdr.sh_size, XS_ARCH_PTR_SIZE);
	n = s->shdr.sh_size / XS_ARCH_PTR_SIZE;
	for (size_t j = 0; j < n; j++) {
		int rc = read_hook_slot(p, i, j);

		if (rc)
			return rc;
	}
	s->hook = k;
	p->hook_shndx[k] = i;
	p->hook_count[k] = n;
	return 0;
}

int xs_pl_read_hooks(struct xs_pl_ctx *c)
{
	struct xs_payload *p = c->p;
	size_t plen = strlen(XSPLICE_HOOK_SECTION_PREFIX);

	for (unsigned i = 1; i < p->nsections; i++) {
		int rc;

		if (strncmp(p->sections[i].name, XSPLICE_HOOK_SECTION_PREFIX, plen))
			continue;
		rc = read_hook_section(p, i);
		if (rc)
			return rc;
	}
	return 0;
}

/* --- notes --------------------------------------------------------------------- */

struct note {
	uint32_t type;
	const char *name; /* NUL-terminated inside the section, or "" */
	const unsigned char *desc;
	uint32_t descsz;
};

/* The note at *off in section i; advances *off past its padding. */
static int next_note(const struct xs_payload *p, unsigned i, uint64_t *off, struct note *n)
{
	const struct xs_section *s = &p->sections[i];
	uint64_t size = s->shdr.sh_size, left = size - *off;
	uint32_t hdr[3];
	uint64_t namepad, descpad;

	if (left < sizeof(hdr))
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: truncated note header at offset 0x%llx",
		               p->name, i, s->name, (unsigned long long)*off);
	memcpy(hdr, s->data + *off, sizeof(hdr));
	left -= sizeof(hdr);
	namepad = XS_ALIGN_UP((uint64_t)hdr[0], NOTE_ALIGN);
	descpad = XS_ALIGN_UP((uint64_t)hdr[1], NOTE_ALIGN);
	/* ld leaves the last descriptor unpadded (a 70-byte build-id ends the section): pad only between notes. */
	if (namepad > left || hdr[1] > left - namepad)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: note at offset 0x%llx: name size %u and descriptor size %u run past the section end",
		    p->name, i, s->name, (unsigned long long)*off, hdr[0], hdr[1]);
	n->name = (const char *)s->data + *off + sizeof(hdr);
	if (hdr[0] == 0)
		n->name = "";
	else if (n->name[hdr[0] - 1] != '\0')
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: note at offset 0x%llx: name is not NUL-terminated",
		    p->name, i, s->name, (unsigned long long)*off);
	n->type = hdr[2];
	n->desc = s->data + *off + sizeof(hdr) + namepad;
	n->descsz = hdr[1];
	*off += sizeof(hdr) + namepad + (descpad < left - namepad ? descpad : left - namepad);
	return 0;
}

static int store_id(const struct xs_payload *p, unsigned i, const char *what, const struct note *n,
                    struct xs_build_id *id)
{
	const char *sname = p->sections[i].name;

	if (id->len)
		return xs_fail(-EINVAL, "%s: section [%u] %s: a second %s note", p->name, i, sname,
		               what);
	if (n->descsz == 0 || n->descsz > XS_BUILD_ID_MAX)
		return xs_fail(-EINVAL, "%s: section [%u] %s: %s of %u bytes, expected 1..%d",
		               p->name, i, sname, what, n->descsz, XS_BUILD_ID_MAX);
	memcpy(id->bytes, n->desc, n->descsz);
	id->len = n->descsz;
	return 0;
}

/* Finds the note section called name; 0 in *shndx when there is none. */
static int note_section(const struct xs_payload *p, const char *name, unsigned *shndx)
{
	int rc = find_section(p, name, shndx);

	if (!rc && *shndx &&
	    (p->sections[*shndx].shdr.sh_type != SHT_NOTE || !p->sections[*shndx].data))
		return xs_fail(-EINVAL, "%s: section [%u] %s: not a note section", p->name, *shndx,
		               name);
	return rc;
}

static int read_build_id(struct xs_payload *p)
{
	uint64_t off = 0;
	unsigned i;
	int rc = note_section(p, ".note.gnu.build-id", &i);

	while (!rc && i && off < p->sections[i].shdr.sh_size) {
		struct note n;

		rc = next_note(p, i, &off, &n);
		if (!rc && n.type == NT_GNU_BUILD_ID && !strcmp(n.name, "GNU"))
			rc = store_id(p, i, "build-id", &n, &p->build_id);
	}
	if (!rc && !p->build_id.len)
		rc = xs_fail(-EINVAL, "%s: no build-id note (link with ld --build-id)", p->name);
	return rc;
}

static int read_xsplice_notes(struct xs_payload *p)
{
	uint64_t off = 0;
	unsigned i;
	int rc = note_section(p, XSPLICE_NOTE_SECTION, &i);

	while (!rc && i && off < p->sections[i].shdr.sh_size) {
		struct note n;

		rc = next_note(p, i, &off, &n);
		if (rc)
			break;
		if (strcmp(n.name, XSPLICE_NOTE_NAME))
			rc = xs_fail(-EINVAL,
			             "%s: section [%u] %s: note named \"%s\", expected \"%s\"",
			             p->name, i, XSPLICE_NOTE_SECTION,
			             xs_pl_printable(n.name) ? n.name : "(control characters)",
			             XSPLICE_NOTE_NAME);
		else if (n.type == XSPLICE_NOTE_TARGET)
			rc = store_id(p, i, "target build-id", &n, &p->target_id);
		else if (n.type == XSPLICE_NOTE_DEPENDS)
			rc = store_id(p, i, "dependency build-id", &n, &p->depends_id);
		else
			rc = xs_fail(-EINVAL, "%s: section [%u] %s: unknown note type %u", p->name,
			             i, XSPLICE_NOTE_SECTION, n.type);
	}
	if (!rc && !p->target_id.len)
		rc = xs_fail(
		    -EINVAL,
		    "%s: no target build-id note (type %d in %s): nothing says what the payload patches",
		    p->name, XSPLICE_NOTE_TARGET, XSPLICE_NOTE_SECTION);
	return rc;
}

int xs_pl_read_notes(struct xs_pl_ctx *c)
{
	int rc = read_build_id(c->p);

	return rc ? rc : read_xsplice_notes(c->p);
}

/* --- .xsplice.funcs ------------------------------------------------------------ */

/* NULL when sym+addend is a non-empty NUL-terminated string in loaded data. */
static const char *string_at(const struct xs_payload *p, uint32_t sym, int64_t addend,
                             const char **out)
{
	const struct xs_symbol *s = &p->syms[sym];
	const struct xs_section *sec;
	int64_t off;

	if (s->shndx == SHN_UNDEF || s->shndx == SHN_ABS || s->shndx >= p->nsections)
		return "is not defined in the payload";
	sec = &p->sections[s->shndx];
	if (sec->kind == XS_SEC_SKIP || sec->kind == XS_SEC_BSS || !sec->data)
		return "is not in loaded data";
	if (__builtin_add_overflow((int64_t)s->value, addend, &off) || off < 0 ||
	    (uint64_t)off >= sec->shdr.sh_size)
		return "points outside its section";
	if (!memchr(sec->data + off, '\0', sec->shdr.sh_size - off))
		return "is not NUL-terminated inside its section";
	if (sec->data[off] == '\0')
		return "is an empty string";
	if (!xs_pl_printable((const char *)sec->data + off))
		return "contains control characters";
	*out = (const char *)sec->data + off;
	return NULL;
}

static int decode_name(const struct xs_payload *p, unsigned shndx, size_t i, const char **name)
{
	const char *sname = p->sections[shndx].name;
	const char *why;
	uint32_t sym;
	int64_t addend;

	why = xs_pl_slot(p, shndx, i * FUNC_SIZE + offsetof(struct xsplice_func, name), &sym,
	                 &addend);
	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu: name: %s", p->name, shndx,
		               sname, i, why);
	if (sym == 0)
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu: name is NULL", p->name,
		               shndx, sname, i);
	why = string_at(p, sym, addend, name);
	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu: name (symbol %s%+lld) %s",
		               p->name, shndx, sname, i, sym_label(p, sym), (long long)addend, why);
	return 0;
}

static int check_expect(const struct xs_payload *p, unsigned shndx, size_t i,
                        const struct xs_func_desc *d)
{
	const struct xsplice_expect *e = &d->expect;
	const char *sname = p->sections[shndx].name;

	if (e->enabled > 1)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: func %zu (%s): expect.enabled %u, expected 0 or 1",
		    p->name, shndx, sname, i, d->name, e->enabled);
	if (e->enabled && (e->len < 1 || e->len > XSPLICE_EXPECT_MAX))
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: func %zu (%s): expect.len %u, expected 1..%d",
		               p->name, shndx, sname, i, d->name, e->len, XSPLICE_EXPECT_MAX);
	if (!e->enabled && e->len)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: func %zu (%s): expect.len %u with expect disabled, expected 0",
		    p->name, shndx, sname, i, d->name, e->len);
	if (!all_zero(e->pad, sizeof(e->pad)))
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu (%s): non-zero expect.pad",
		               p->name, shndx, sname, i, d->name);
	return 0;
}

static int decode_new(const struct xs_payload *p, unsigned shndx, size_t i, struct xs_func_desc *d)
{
	const char *sname = p->sections[shndx].name;
	const char *why;

	why = xs_pl_slot(p, shndx, i * FUNC_SIZE + offsetof(struct xsplice_func, new_addr),
	                 &d->new_sym, &d->new_addend);
	if (why)
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu (%s): new_addr: %s", p->name,
		               shndx, sname, i, d->name, why);
	if (d->new_sym == 0) {
		if (d->new_size < 1 || d->new_size > XSPLICE_EXPECT_MAX)
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: func %zu (%s): NOP entry (new_addr NULL) with new_size %u, expected 1..%d",
			    p->name, shndx, sname, i, d->name, d->new_size, XSPLICE_EXPECT_MAX);
		return 0;
	}
	why = xs_pl_code_target(p, d->new_sym, d->new_addend);
	if (why)
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: func %zu (%s): new_addr symbol %s%+lld %s",
		               p->name, shndx, sname, i, d->name, sym_label(p, d->new_sym),
		               (long long)d->new_addend, why);
	return 0;
}

static int decode_func(const struct xs_payload *p, unsigned shndx, size_t i, struct xs_func_desc *d)
{
	const char *sname = p->sections[shndx].name;
	struct xsplice_func f;
	int rc;

	memcpy(&f, p->sections[shndx].data + i * FUNC_SIZE, sizeof(f));
	if (f.version != XSPLICE_FUNC_VERSION)
		return xs_fail(-EINVAL, "%s: section [%u] %s: func %zu: version %u, expected %d",
		               p->name, shndx, sname, i, f.version, XSPLICE_FUNC_VERSION);
	if (!all_zero(f.pad, sizeof(f.pad)) || !all_zero(f.pad2, sizeof(f.pad2)))
		return xs_fail(-EINVAL,
		               "%s: section [%u] %s: func %zu: non-zero padding (pad/pad2)",
		               p->name, shndx, sname, i);
	rc = decode_name(p, shndx, i, &d->name);
	if (rc)
		return rc;
	memcpy(&d->old_addr, (const unsigned char *)&f + offsetof(struct xsplice_func, old_addr),
	       sizeof(d->old_addr));
	d->new_size = f.new_size;
	d->old_size = f.old_size;
	d->expect = f.expect;
	rc = check_expect(p, shndx, i, d);
	return rc ? rc : decode_new(p, shndx, i, d);
}

/* Only the name and new_addr slots may be relocated: anything else would change
 * bytes the loader copies as they are (old_addr, sizes, expect). */
static int check_func_relocs(const struct xs_payload *p, unsigned shndx)
{
	const struct xs_section *s = &p->sections[shndx];

	for (size_t k = 0; k < s->nrelocs; k++) {
		uint64_t at = s->relocs[k].offset % FUNC_SIZE;

		if (at != offsetof(struct xsplice_func, name) &&
		    at != offsetof(struct xsplice_func, new_addr))
			return xs_fail(
			    -EINVAL,
			    "%s: section [%u] %s: func %llu: relocation %s at entry offset %llu (only name and new_addr are relocated)",
			    p->name, shndx, s->name,
			    (unsigned long long)(s->relocs[k].offset / FUNC_SIZE),
			    xs_arch_reloc_name(s->relocs[k].type), (unsigned long long)at);
	}
	return 0;
}

struct name_idx {
	const char *name;
	size_t idx;
};

static int cmp_name_idx(const void *a, const void *b)
{
	const struct name_idx *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorted, not pairwise: payloads may hold tens of thousands of entries. */
static int check_duplicates(const struct xs_payload *p, unsigned shndx)
{
	struct name_idx *v = malloc(p->nfuncs * sizeof(*v));
	size_t dup = 0, first = 0;

	if (!v)
		return xs_fail(-ENOMEM, "%s: cannot allocate %zu names", p->name, p->nfuncs);
	for (size_t i = 0; i < p->nfuncs; i++)
		v[i] = (struct name_idx){ p->funcs[i].name, i };
	qsort(v, p->nfuncs, sizeof(*v), cmp_name_idx);
	/* Report the lowest-numbered entry that repeats an earlier one. */
	for (size_t i = 1; i < p->nfuncs; i++) {
		if (!strcmp(v[i].name, v[i - 1].name) && (!dup || v[i].idx < dup) &&
		    (i < 2 || strcmp(v[i].name, v[i - 2].name))) {
			dup = v[i].idx;
			first = v[i - 1].idx;
		}
	}
	free(v);
	if (dup)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: func %zu: %s patched twice in one payload (also func %zu)",
		    p->name, shndx, p->sections[shndx].name, dup, p->funcs[dup].name, first);
	return 0;
}

int xs_pl_read_funcs(struct xs_pl_ctx *c)
{
	struct xs_payload *p = c->p;
	const struct xs_section *s;
	unsigned i;
	int rc = find_section(p, XSPLICE_FUNCS_SECTION, &i);

	if (rc)
		return rc;
	if (!i)
		return xs_fail(-EINVAL, "%s: no %s section: nothing to patch", p->name,
		               XSPLICE_FUNCS_SECTION);
	s = &p->sections[i];
	if (!is_loaded_progbits(s))
		return xs_fail(-EINVAL, "%s: section [%u] %s: must be allocated PROGBITS data",
		               p->name, i, s->name);
	if (s->shdr.sh_size == 0 || s->shdr.sh_size % FUNC_SIZE)
		return xs_fail(
		    -EINVAL,
		    "%s: section [%u] %s: size %llu is not a non-zero multiple of %zu (struct xsplice_func)",
		    p->name, i, s->name, (unsigned long long)s->shdr.sh_size, FUNC_SIZE);
	if (s->shdr.sh_size / FUNC_SIZE > XS_PAYLOAD_MAX_FUNCS)
		return xs_fail(-EFBIG, "%s: section [%u] %s: %llu functions, over the limit of %d",
		               p->name, i, s->name,
		               (unsigned long long)(s->shdr.sh_size / FUNC_SIZE),
		               XS_PAYLOAD_MAX_FUNCS);
	rc = check_func_relocs(p, i);
	if (rc)
		return rc;
	p->funcs = calloc(s->shdr.sh_size / FUNC_SIZE, sizeof(*p->funcs));
	if (!p->funcs)
		return xs_fail(-ENOMEM, "%s: cannot allocate the function table", p->name);
	p->funcs_shndx = i;
	p->nfuncs = s->shdr.sh_size / FUNC_SIZE;
	for (size_t k = 0; k < p->nfuncs && !rc; k++)
		rc = decode_func(p, i, k, &p->funcs[k]);
	return rc ? rc : check_duplicates(p, i);
}
