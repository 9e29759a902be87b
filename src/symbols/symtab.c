/* SPDX-License-Identifier: MIT */
/*
 * Symbols of target objects: .dynsym, and .symtab of the file or of its
 * separate debug file (found by build-id), each in a hash table by name; and
 * resolution of payload references as the dynamic linker does it.
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "symbols/objects.h"
#include "symbols/objects_priv.h"

#define MAX_SYMS (16u << 20) /* entries in one symbol table */
#define NO_SYM UINT32_MAX    /* end of a hash chain */
#define MAX_VERSIONS 0x7fff  /* versym indexes are 15 bits */

enum {
	SYM_ABS = 1,        /* SHN_ABS: the value is not relocated */
	SYM_HIDDEN_VER = 2, /* "sym@VER" (not "@@"): never the answer for a plain name */
	SYM_CUT = 4,        /* name carried "@VER" in the string table: cut at the '@' */
};

struct xs_sym {
	const char *name; /* without "@VER" */
	const char *ver;  /* version name, or NULL */
	const char *file; /* locals of .symtab: the STT_FILE before it, or NULL */
	uint64_t value, size;
	uint32_t hash, next; /* hash of name; next entry in its chain, or NO_SYM */
	unsigned char type, bind, flags;
};

struct symset {
	struct xs_sym *v; /* in symbol-table order */
	size_t n;
	uint32_t *bucket; /* first entry of each chain; nbuckets is a power of two */
	uint32_t nbuckets;
	char *strs;        /* our copy of the string table the names point into */
	char *from;        /* file read, for messages; NULL when there was none */
	uint32_t *by_addr; /* functions by address, made on the first xs_object_func_at */
	size_t nfuncs;
	bool loaded;
	int rc; /* result of loading, returned again on every later use */
};

struct xs_symtab {
	pid_t pid;          /* for debug files under /proc/<pid>/root; 0: none */
	struct symset dyn;  /* .dynsym: what the object exports */
	struct symset full; /* .symtab of the file or of its debug file */
	char *debug_tried;  /* debug file looked for, for "not found" messages */
};

struct xs_symtab *xs_symtab_new(pid_t pid)
{
	struct xs_symtab *st = calloc(1, sizeof(*st));

	if (st)
		st->pid = pid;
	return st;
}

static void symset_free(struct symset *set)
{
	free(set->v);
	free(set->bucket);
	free(set->by_addr);
	free(set->strs);
	free(set->from);
	memset(set, 0, sizeof(*set));
}

void xs_symtab_free(struct xs_symtab *st)
{
	if (!st)
		return;
	symset_free(&st->dyn);
	symset_free(&st->full);
	free(st->debug_tried);
	free(st);
}

/* --- reading one symbol table ------------------------------------------------------- */

/* Version names by versym index, from SHT_GNU_verdef (pointing into set->strs). */
struct versions {
	Elf_Data *versym;
	const char **names;
	size_t n;
};

static int copy_strtab(Elf *elf, size_t link, struct symset *set, size_t *len)
{
	Elf_Scn *scn = link ? elf_getscn(elf, link) : NULL;
	Elf_Data *d = NULL;
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
	    !(d = elf_getdata(scn, NULL)))
		return -EINVAL;
	set->strs = malloc(d->d_size + 1);
	if (!set->strs)
		return -ENOMEM;
	if (d->d_size)
		memcpy(set->strs, d->d_buf, d->d_size);
	set->strs[d->d_size] = '\0'; /* a last name without its NUL stays in bounds */
	*len = d->d_size;
	return 0;
}

static int read_verdef(Elf_Scn *scn, const char *strs, size_t strsz, struct versions *vs)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0;
	GElf_Shdr sh;

	if (!d || !gelf_getshdr(scn, &sh))
		return 0; /* no version names: plain names still work */
	for (size_t i = 0; i < sh.sh_info && off < d->d_size; i++) {
		GElf_Verdef vd;
		GElf_Verdaux va;

		if (!gelf_getverdef(d, off, &vd))
			break;
		if (vd.vd_cnt && vd.vd_ndx <= MAX_VERSIONS &&
		    gelf_getverdaux(d, off + vd.vd_aux, &va) && va.vda_name < strsz) {
			if (vd.vd_ndx >= vs->n) {
				const char **v = realloc(vs->names, (vd.vd_ndx + 1) * sizeof(*v));

				if (!v)
					return -ENOMEM;
				memset(v + vs->n, 0, (vd.vd_ndx + 1 - vs->n) * sizeof(*v));
				vs->names = v;
				vs->n = vd.vd_ndx + 1;
			}
			vs->names[vd.vd_ndx] = strs + va.vda_name;
		}
		if (!vd.vd_next)
			break;
		off += vd.vd_next;
	}
	return 0;
}

/* Version of dynamic symbol i (versym), or of a .symtab name "sym@VER"/"sym@@VER". */
static void set_version(struct xs_sym *e, size_t i, const struct versions *vs)
{
	GElf_Versym v;
	char *at;

	if (vs && vs->versym) {
		if (!gelf_getversym(vs->versym, (int)i, &v))
			return;
		if (v & 0x8000)
			e->flags |= SYM_HIDDEN_VER;
		if ((v & 0x7fff) >= 2 && (size_t)(v & 0x7fff) < vs->n)
			e->ver = vs->names[v & 0x7fff];
		return;
	}
	at = strchr(e->name, '@');
	if (!at || at == e->name)
		return;
	e->flags |= SYM_CUT;
	if (at[1] == '@') {
		e->ver = at + 2;
	} else {
		e->ver = at + 1;
		e->flags |= SYM_HIDDEN_VER;
	}
}

/* 1: keep entry e for symbol i; 0: not a definition we index. */
static int fill_entry(struct xs_sym *e, const GElf_Sym *s, size_t i, char *strs, size_t strsz,
                      const char **file, const struct versions *vs)
{
	unsigned type = GELF_ST_TYPE(s->st_info), bind = GELF_ST_BIND(s->st_info);

	if (s->st_name >= strsz)
		return 0;
	if (type == STT_FILE) { /* the locals that follow come from this file */
		*file = strs[s->st_name] ? strs + s->st_name : NULL;
		return 0;
	}
	if (type == STT_SECTION || s->st_shndx == SHN_UNDEF || !strs[s->st_name])
		return 0;
	memset(e, 0, sizeof(*e));
	e->name = strs + s->st_name;
	e->file = bind == STB_LOCAL ? *file : NULL;
	e->value = s->st_value;
	e->size = s->st_size;
	e->type = (unsigned char)type;
	e->bind = (unsigned char)bind;
	if (s->st_shndx == SHN_ABS)
		e->flags |= SYM_ABS;
	set_version(e, i, vs);
	return 1;
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 5381;

	while (*name)
		h = h * 33 + (unsigned char)*name++;
	return h;
}

/*
 * A hash table rather than a sorted array: building it is linear (sorting
 * a libc's 100k entries is not), a lookup is one chain walk. Chains keep
 * symbol-table order, so "first" means first in the file.
 */
static int index_symbols(struct symset *set)
{
	uint32_t nb = 16;

	while (nb < set->n)
		nb *= 2;
	set->bucket = malloc(nb * sizeof(*set->bucket));
	if (!set->bucket)
		return -ENOMEM;
	memset(set->bucket, 0xff, nb * sizeof(*set->bucket)); /* NO_SYM */
	set->nbuckets = nb;
	for (size_t i = set->n; i-- > 0;) {
		struct xs_sym *e = &set->v[i];

		e->hash = name_hash(e->name);
		e->next = set->bucket[e->hash & (nb - 1)];
		set->bucket[e->hash & (nb - 1)] = (uint32_t)i;
	}
	return 0;
}

/*
 * Read symbol section scn into set. Names are cut at their '@' only after
 * every entry is read: the string table shares strings between symbols.
 */
static int read_symbols(Elf *elf, Elf_Scn *scn, Elf_Scn *versym, Elf_Scn *verdef,
                        struct symset *set)
{
	size_t entsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), strsz = 0, n, k = 0;
	struct versions vs = { 0 };
	const char *file = NULL;
	Elf_Data *d = NULL;
	GElf_Shdr sh;
	int rc;

	if (!entsz || !gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
		return -EINVAL;
	n = d->d_size / entsz;
	if (n > MAX_SYMS)
		return -EFBIG;
	rc = copy_strtab(elf, sh.sh_link, set, &strsz);
	if (rc)
		return rc;
	if (versym && (vs.versym = elf_getdata(versym, NULL)) && verdef) {
		GElf_Shdr vsh;

		if (gelf_getshdr(verdef, &vsh) && vsh.sh_link == sh.sh_link)
			rc = read_verdef(verdef, set->strs, strsz, &vs);
	}
	set->v = malloc((n ? n : 1) * sizeof(*set->v));
	if (rc || !set->v) {
		free(vs.names);
		return -ENOMEM;
	}
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;

		if (gelf_getsym(d, (int)i, &s) &&
		    fill_entry(&set->v[k], &s, i, set->strs, strsz, &file, versym ? &vs : NULL))
			k++;
	}
	free(vs.names);
	for (size_t i = 0; i < k; i++)
		if (set->v[i].flags & SYM_CUT)
			((char *)set->v[i].ver)[(set->v[i].flags & SYM_HIDDEN_VER) ? -1 : -2] =
			    '\0';
	set->n = k;
	return index_symbols(set);
}

static void find_sections(Elf *elf, Elf_Scn **symtab, Elf_Scn **dynsym, Elf_Scn **versym,
                          Elf_Scn **verdef)
{
	Elf_Scn *scn = NULL;

	*symtab = *dynsym = *versym = *verdef = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !*symtab)
			*symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !*dynsym)
			*dynsym = scn;
		else if (sh.sh_type == SHT_GNU_versym && !*versym)
			*versym = scn;
		else if (sh.sh_type == SHT_GNU_verdef && !*verdef)
			*verdef = scn;
	}
}

/* --- loading an object's tables ------------------------------------------------------ */

static struct xs_symtab *symtab_of(struct xs_object *obj)
{
	if (!obj->symtab)
		obj->symtab = xs_symtab_new(0);
	return obj->symtab;
}

static int load_dyn(struct xs_object *obj, struct xs_symtab *st)
{
	Elf_Scn *symtab, *dynsym, *versym, *verdef;
	Elf *elf;
	int fd, rc;

	if (st->dyn.loaded)
		return st->dyn.rc;
	st->dyn.loaded = true;
	rc = xs_obj_elf_open(obj->open_path, &fd, &elf);
	if (rc)
		return st->dyn.rc = xs_fail(rc, "%s: cannot read its symbols from %s", obj->path,
		                            obj->open_path);
	find_sections(elf, &symtab, &dynsym, &versym, &verdef);
	if (dynsym) /* a static executable has none */
		rc = read_symbols(elf, dynsym, versym, verdef, &st->dyn);
	if (rc)
		xs_fail(rc, "%s: malformed .dynsym", obj->path);
	xs_obj_elf_close(fd, elf);
	return st->dyn.rc = rc;
}

static bool has_symtab(Elf *elf)
{
	Elf_Scn *symtab, *dynsym, *versym, *verdef;

	find_sections(elf, &symtab, &dynsym, &versym, &verdef);
	return symtab != NULL;
}

/*
 * A stripped object: its .symtab is in its debug file, found by build-id
 * (xs_obj_debug_open). The debug file keeps the link-time addresses, so its
 * values take the same bias.
 */
static int load_debug_file(struct xs_object *obj, struct xs_symtab *st)
{
	Elf_Scn *symtab, *dynsym, *versym, *verdef;
	char *path = NULL;
	Elf *elf = NULL;
	int fd = -1, rc;

	free(st->debug_tried);
	st->debug_tried = NULL;
	rc = xs_obj_debug_open(obj, st->pid, has_symtab, &path, &fd, &elf, &st->debug_tried);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	find_sections(elf, &symtab, &dynsym, &versym, &verdef);
	rc = read_symbols(elf, symtab, NULL, NULL, &st->full);
	if (rc) {
		xs_fail(rc, "%s: malformed .symtab in its debug file %s", obj->path, path);
	} else {
		st->full.from = path;
		path = NULL;
	}
	xs_obj_elf_close(fd, elf);
	free(path);
	return rc;
}

static int load_full(struct xs_object *obj, struct xs_symtab *st)
{
	Elf_Scn *symtab, *dynsym, *versym, *verdef;
	Elf *elf;
	int fd, rc;

	if (st->full.loaded)
		return st->full.rc;
	st->full.loaded = true;
	rc = xs_obj_elf_open(obj->open_path, &fd, &elf);
	if (rc)
		return st->full.rc = xs_fail(rc, "%s: cannot read its symbols from %s", obj->path,
		                             obj->open_path);
	find_sections(elf, &symtab, &dynsym, &versym, &verdef);
	if (symtab) {
		rc = read_symbols(elf, symtab, NULL, NULL, &st->full);
		if (rc)
			xs_fail(rc, "%s: malformed .symtab", obj->path);
		else if (!(st->full.from = strdup(obj->open_path)))
			rc = xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
	}
	xs_obj_elf_close(fd, elf);
	if (!symtab)
		rc = load_debug_file(obj, st);
	return st->full.rc = rc;
}

/* --- lookup ------------------------------------------------------------------------- */

struct query {
	char *buf;        /* owned copy the fields point into */
	const char *file; /* "file.c" of "file.c#sym", or NULL */
	const char *sym;
	const char *ver;   /* "VER" of "sym@VER" or "sym@@VER", or NULL */
	bool want_default; /* "@@" */
	uint32_t hash;     /* of sym */
};

static int parse_query(const char *name, struct query *q)
{
	char *hash, *at;

	memset(q, 0, sizeof(*q));
	if (!name || !(q->buf = strdup(name)))
		return xs_fail(name ? -ENOMEM : -EINVAL, "symbol '%s': cannot look it up",
		               name ? name : "(null)");
	q->sym = q->buf;
	hash = strrchr(q->buf, '#'); /* file names may hold '#', symbols do not */
	if (hash) {
		*hash = '\0';
		q->file = q->buf;
		q->sym = hash + 1;
	}
	at = strchr(q->sym, '@');
	if (at) {
		*at = '\0';
		q->want_default = at[1] == '@';
		q->ver = at + 1 + q->want_default;
	}
	if (!q->sym[0] || (q->file && !q->file[0]) || (q->ver && !q->ver[0])) {
		free(q->buf);
		q->buf = NULL;
		return xs_fail(
		    -EINVAL,
		    "symbol '%s': malformed name (expected sym, file.c#sym or sym@VERSION)", name);
	}
	q->hash = name_hash(q->sym);
	return 0;
}

/* The entry after prev (NULL: the first) called q->sym, or NULL. */
static const struct xs_sym *next_named(const struct symset *set, const struct xs_sym *prev,
                                       const struct query *q)
{
	uint32_t i;

	if (!set->nbuckets)
		return NULL;
	i = prev ? prev->next : set->bucket[q->hash & (set->nbuckets - 1)];
	for (; i != NO_SYM; i = set->v[i].next)
		if (set->v[i].hash == q->hash && !strcmp(set->v[i].name, q->sym))
			return &set->v[i];
	return NULL;
}

static bool version_ok(const struct xs_sym *s, const struct query *q)
{
	if (!q->ver)
		return !(s->flags & SYM_HIDDEN_VER);
	return s->ver && !strcmp(s->ver, q->ver) &&
	       !(q->want_default && (s->flags & SYM_HIDDEN_VER));
}

/* A defined global/weak/unique symbol; a strong one wins over a weak one. */
static const struct xs_sym *find_global(const struct symset *set, const struct query *q)
{
	const struct xs_sym *s, *best = NULL;

	for (s = next_named(set, NULL, q); s; s = next_named(set, s, q)) {
		if (s->bind != STB_GLOBAL && s->bind != STB_WEAK && s->bind != STB_GNU_UNIQUE)
			continue;
		if (version_ok(s, q) && (!best || (best->bind == STB_WEAK && s->bind != STB_WEAK)))
			best = s;
	}
	return best;
}

static bool file_matches(const char *file, const char *want)
{
	const char *base;

	if (!file)
		return false;
	base = strrchr(file, '/');
	return !strcmp(file, want) || (base && !strcmp(base + 1, want));
}

static uint64_t runtime_addr(const struct xs_object *obj, const struct xs_sym *s)
{
	/* TLS values are offsets in the module's TLS block, not addresses. */
	if ((s->flags & SYM_ABS) || s->type == STT_TLS)
		return s->value;
	return s->value + obj->bias;
}

/* A unique local (under q->file if given): 0, -ENOENT (no message), -ENOTUNIQ. */
static int find_local(const struct xs_object *obj, const struct symset *set, const struct query *q,
                      const char *name, const struct xs_sym **out)
{
	const struct xs_sym *s, *first = NULL, *other = NULL;

	for (s = next_named(set, NULL, q); s && !q->ver; s = next_named(set, s, q)) {
		if (s->bind != STB_LOCAL || (q->file && !file_matches(s->file, q->file)))
			continue;
		if (!first)
			first = s;
		else if (s->value != first->value && !other)
			other = s;
	}
	if (!first)
		return -ENOENT;
	if (other)
		return xs_fail(
		    -ENOTUNIQ,
		    "symbol '%s' is ambiguous in %s: a local one in %s at %#llx, another in %s at %#llx; name one as '%s#%s'",
		    name, obj->path, first->file ? first->file : "(no file)",
		    (unsigned long long)runtime_addr(obj, first),
		    other->file ? other->file : "(no file)",
		    (unsigned long long)runtime_addr(obj, other),
		    first->file ? first->file : "FILE", q->sym);
	*out = first;
	return 0;
}

/* Everything xs_object_lookup finds, without a message for -ENOENT. */
static int lookup_in(struct xs_object *obj, const struct query *q, const char *name,
                     const struct xs_sym **out)
{
	struct xs_symtab *st = symtab_of(obj);
	int rc;

	if (!st)
		return xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
	if (!q->file) {
		rc = load_dyn(obj, st);
		if (rc)
			return rc;
		*out = find_global(&st->dyn, q);
		if (*out)
			return 0;
	}
	rc = load_full(obj, st);
	if (rc)
		return rc;
	if (!q->file && (*out = find_global(&st->full, q)))
		return 0;
	return find_local(obj, &st->full, q, name, out);
}

static int not_found(struct xs_object *obj, const char *name)
{
	struct xs_symtab *st = obj->symtab;

	if (st && st->full.loaded && !st->full.from)
		return xs_fail(
		    -XS_ERRNO__NO_SYMBOL,
		    "symbol '%s' not found in %s (stripped: no .symtab, and no debug file %s)",
		    name, obj->path, st->debug_tried ? st->debug_tried : "(it has no build-id)");
	return xs_fail(-XS_ERRNO__NO_SYMBOL, "symbol '%s' not found in %s", name, obj->path);
}

static void fill(struct xs_object *obj, const struct xs_sym *s, struct xs_symbol_info *out)
{
	out->addr = runtime_addr(obj, s);
	out->size = s->size;
	out->type = s->type;
	out->bind = s->bind;
	out->obj = obj;
}

int xs_object_lookup(struct xs_object *obj, const char *name, struct xs_symbol_info *out)
{
	const struct xs_sym *s = NULL;
	struct query q;
	int rc;

	if (!obj)
		return xs_fail(-EINVAL, "symbol '%s': no object to look in",
		               name ? name : "(null)");
	rc = parse_query(name, &q);
	if (rc)
		return rc;
	rc = lookup_in(obj, &q, name, &s);
	if (rc == -ENOENT)
		rc = not_found(obj, name);
	if (!rc)
		fill(obj, s, out);
	free(q.buf);
	return rc;
}

/*
 * What obj offers to the global scope: its exported (.dynsym) definitions;
 * for the executable also its .symtab globals (a non-PIE executable exports
 * little). NULL in *out when it has none.
 */
static int scope_definition(struct xs_object *obj, const struct query *q, const struct xs_sym **out)
{
	struct xs_symtab *st = symtab_of(obj);
	int rc;

	*out = NULL;
	if (!st)
		return xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
	rc = load_dyn(obj, st);
	if (rc || (*out = find_global(&st->dyn, q)) || !obj->is_main)
		return rc;
	rc = load_full(obj, st);
	if (!rc)
		*out = find_global(&st->full, q);
	return rc;
}

int xs_objects_resolve(struct xs_objects *objs, struct xs_object *home, const char *name,
                       struct xs_symbol_info *out)
{
	const struct xs_sym *s = NULL;
	struct query q;
	int rc;

	rc = parse_query(name, &q);
	if (rc)
		return rc;
	if (q.file) {
		rc = home ? xs_object_lookup(home, name, out) :
		            xs_fail(-EINVAL,
		                    "symbol '%s': a file-qualified name needs the object it is in",
		                    name);
		goto out;
	}
	/* First definition in scope order wins, as for the dynamic linker:
	 * this finds the executable's copy of a copy-relocated variable. */
	for (size_t i = 0; objs && i < objs->n; i++) {
		rc = scope_definition(&objs->v[i], &q, &s);
		if (rc)
			goto out;
		if (s) {
			fill(&objs->v[i], s, out);
			goto out;
		}
	}
	rc = home ? lookup_in(home, &q, name, &s) : -ENOENT;
	if (!rc)
		fill(home, s, out);
	else if (rc == -ENOENT)
		rc = xs_fail(
		    -XS_ERRNO__NO_SYMBOL,
		    "symbol '%s' not found in pid %d: none of its %zu objects exports it%s%s", name,
		    objs ? (int)objs->pid : 0, objs ? objs->n : 0,
		    home ? " and it is not defined in " : "", home ? home->path : "");
out:
	free(q.buf);
	return rc;
}

/* --- by address, and by suffix ------------------------------------------------------ */

static int by_value(const void *a, const void *b, void *set)
{
	const struct xs_sym *x = &((const struct symset *)set)->v[*(const uint32_t *)a];
	const struct xs_sym *y = &((const struct symset *)set)->v[*(const uint32_t *)b];

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) -
	       (*(const uint32_t *)a < *(const uint32_t *)b);
}

static bool is_code(const struct xs_sym *e)
{
	return (e->type == STT_FUNC || e->type == STT_GNU_IFUNC) && !(e->flags & SYM_ABS);
}

static int index_by_addr(struct symset *set)
{
	if (set->by_addr || !set->n)
		return 0;
	set->by_addr = malloc(set->n * sizeof(*set->by_addr));
	if (!set->by_addr)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++)
		if (is_code(&set->v[i]))
			set->by_addr[set->nfuncs++] = (uint32_t)i;
	qsort_r(set->by_addr, set->nfuncs, sizeof(*set->by_addr), by_value, set);
	return 0;
}

/* Among aliases of one address: a name without a compiler suffix, then a global. */
static int alias_rank(const struct xs_sym *e)
{
	return (strchr(e->name, '.') ? 0 : 2) + (e->bind != STB_LOCAL);
}

static const struct xs_sym *func_in(const struct symset *set, uint64_t v)
{
	const struct xs_sym *best = NULL;
	size_t lo = 0, hi = set->nfuncs;

	while (lo < hi) { /* first entry with value > v */
		size_t mid = lo + (hi - lo) / 2;

		if (set->v[set->by_addr[mid]].value <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Entries at the highest value <= v, then lower ones while none holds v. */
	for (size_t i = lo; i-- > 0;) {
		const struct xs_sym *e = &set->v[set->by_addr[i]];

		if (best && e->value != best->value)
			break;
		if (v < e->value + (e->size ? e->size : 1) &&
		    (!best || alias_rank(e) > alias_rank(best)))
			best = e;
		if (!best && lo - i > 64) /* nothing near holds it */
			break;
	}
	return best;
}

int xs_object_func_at(struct xs_object *obj, uint64_t addr, const char **name, uint64_t *start)
{
	struct xs_symtab *st = symtab_of(obj);
	struct symset *sets[2];
	int rc;

	if (!st)
		return xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
	rc = load_full(obj, st);
	if (!rc)
		rc = load_dyn(obj, st);
	if (rc)
		return rc;
	sets[0] = &st->full;
	sets[1] = &st->dyn;
	for (int k = 0; k < 2; k++) {
		const struct xs_sym *e;

		if (index_by_addr(sets[k]))
			return xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
		e = func_in(sets[k], addr - obj->bias);
		if (e) {
			*name = e->name;
			*start = runtime_addr(obj, e);
			return 0;
		}
	}
	return -ENOENT;
}

int xs_object_each_suffixed(struct xs_object *obj, const char *name,
                            int (*fn)(void *ctx, const char *sym, const char *suffix,
                                      uint64_t addr),
                            void *ctx)
{
	struct xs_symtab *st = symtab_of(obj);
	struct query q;
	size_t len;
	int rc;

	if (!st)
		return xs_fail(-ENOMEM, "%s: out of memory reading its symbols", obj->path);
	rc = parse_query(name, &q);
	if (rc)
		return rc;
	rc = load_full(obj, st);
	len = strlen(q.sym);
	for (size_t i = 0; !rc && i < st->full.n; i++) {
		const struct xs_sym *e = &st->full.v[i];

		if (!is_code(e) || strncmp(e->name, q.sym, len) || e->name[len] != '.' ||
		    !e->name[len + 1] || (q.file && !file_matches(e->file, q.file)))
			continue;
		rc = fn(ctx, e->name, e->name + len + 1, runtime_addr(obj, e));
	}
	free(q.buf);
	return rc;
}

/* --- what an object imports ------------------------------------------------------- */

int xs_object_imports(struct xs_object *obj, const char *const *names, size_t n, const char **hit)
{
	Elf_Scn *symtab, *dynsym, *versym, *verdef;
	Elf_Data *d;
	GElf_Shdr sh;
	Elf *elf;
	int fd, rc;

	*hit = NULL;
	rc = xs_obj_elf_open(obj->open_path, &fd, &elf);
	if (rc)
		return xs_fail(rc, "%s: cannot read its symbols from %s", obj->path,
		               obj->open_path);
	find_sections(elf, &symtab, &dynsym, &versym, &verdef);
	d = dynsym ? elf_getdata(dynsym, NULL) : NULL;
	if (d && gelf_getshdr(dynsym, &sh) && sh.sh_entsize) {
		size_t count = d->d_size / sh.sh_entsize;

		for (size_t i = 1; i < count && !*hit; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx != SHN_UNDEF ||
			    !(name = elf_strptr(elf, sh.sh_link, s.st_name)))
				continue;
			for (size_t k = 0; k < n && !*hit; k++)
				if (!strcmp(name, names[k]))
					*hit = names[k];
		}
	}
	xs_obj_elf_close(fd, elf);
	return 0;
}
