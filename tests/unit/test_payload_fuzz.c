/* SPDX-License-Identifier: MIT */
/*
 * Fuzzer for the payload reader: a real payload, mutated 1-8 times per round
 * (bit flips, odd values in the ELF header, section headers and tables,
 * truncation) with a fixed-seed PRNG, fed to xs_payload_open_mem. It must
 * never crash or leak; refusals must name the payload; accepted payloads
 * must keep every promise of payload.h. XSPLICE_FUZZ_ITERS / _SEED override
 * the defaults; XSPLICE_FUZZ_VERBOSE=1 prints every refusal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "payload/payload.h"
#include "payload_fixture.h"

#define NAME "fuzz.xsp"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* Where the good fixture keeps its structures. */
struct layout {
	size_t len;
	uint64_t shoff;
	unsigned shnum;
	uint64_t off[256], size[256]; /* per section, first 256 */
};

static void read_layout(const unsigned char *b, size_t len, struct layout *l)
{
	Elf64_Ehdr e;

	memcpy(&e, b, sizeof(e));
	l->len = len;
	l->shoff = e.e_shoff;
	l->shnum = e.e_shnum < 256 ? e.e_shnum : 256;
	for (unsigned i = 0; i < l->shnum; i++) {
		Elf64_Shdr s;

		memcpy(&s, b + e.e_shoff + i * sizeof(s), sizeof(s));
		l->off[i] = s.sh_type == SHT_NOBITS ? 0 : s.sh_offset;
		l->size[i] = s.sh_type == SHT_NOBITS ? 0 : s.sh_size;
	}
}

static uint64_t interesting(const struct layout *l)
{
	static const uint64_t v[] = { 0,          1,
		                      2,          3,
		                      4,          7,
		                      8,          16,
		                      24,         64,
		                      0x7f,       0x80,
		                      0xff,       0x100,
		                      0xfff,      0x1000,
		                      0x7fff,     0xffff,
		                      0x7fffffff, 0x80000000,
		                      0xffffffff, 1ull << 32,
		                      INT64_MAX,  (uint64_t)INT64_MIN,
		                      UINT64_MAX, UINT64_MAX - 7 };

	switch (below(4)) {
	case 0:
		return l->len + below(3) - 1;
	case 1:
		return below(l->len);
	case 2:
		return rnd();
	default:
		return v[below(XS_ARRAY_SIZE(v))];
	}
}

/* Little-endian store of the low `width` bytes, clipped to the buffer. */
static void put(unsigned char *b, size_t len, uint64_t at, uint64_t val, unsigned width)
{
	for (unsigned i = 0; i < width && at + i < len; i++)
		b[at + i] = (unsigned char)(val >> (8 * i));
}

static void mutate_shdr(unsigned char *b, size_t len, const struct layout *l)
{
	/* Offset and width of each Elf64_Shdr field. */
	static const unsigned char field[][2] = { { 0, 4 },  { 4, 4 },  { 8, 8 },
		                                  { 24, 8 }, { 32, 8 }, { 40, 4 },
		                                  { 44, 4 }, { 48, 8 }, { 56, 8 } };
	unsigned f = below(XS_ARRAY_SIZE(field));

	put(b, len, l->shoff + below(l->shnum) * sizeof(Elf64_Shdr) + field[f][0], interesting(l),
	    field[f][1]);
}

/* Somewhere inside one section's data (symbols, relocations, notes, funcs...). */
static void mutate_table(unsigned char *b, size_t len, const struct layout *l)
{
	unsigned i = 1 + below(l->shnum - 1);
	static const unsigned widths[] = { 1, 2, 4, 8 };

	if (!l->size[i])
		return;
	put(b, len, l->off[i] + below(l->size[i]), interesting(l), widths[below(4)]);
}

static void mutate(unsigned char *b, size_t *len, const struct layout *l)
{
	switch (below(16)) {
	case 0:
	case 1:
		if (*len)
			b[below(*len)] ^= (unsigned char)(1u << below(8));
		break;
	case 2:
		if (*len)
			b[below(*len)] = (unsigned char)rnd();
		break;
	case 3:
	case 4:
		put(b, *len, below(sizeof(Elf64_Ehdr)), interesting(l), 1u << below(4));
		break;
	case 5:
	case 6:
	case 7:
	case 8:
		mutate_shdr(b, *len, l);
		break;
	case 9:
	case 10:
	case 11:
	case 12:
	case 13:
		mutate_table(b, *len, l);
		break;
	case 14:
		put(b, *len, below(*len), rnd(), 8);
		break;
	default:
		/* Rare on purpose: most cuts are refused at the first check. */
		if (below(4) == 0)
			*len = below(*len + 1);
		else
			put(b, *len, below(*len), interesting(l), 8);
		break;
	}
}

static bool inside(const struct xs_payload *p, const void *ptr, size_t n)
{
	const unsigned char *c = ptr;

	return c >= p->image && c <= p->image + p->size && n <= (size_t)(p->image + p->size - c);
}

static bool string_inside(const struct xs_payload *p, const char *s)
{
	return inside(p, s, 1) && memchr(s, 0, p->image + p->size - (const unsigned char *)s);
}

/* The promises of payload.h, for a payload that was accepted. */
static const char *broken_promise(const struct xs_payload *p)
{
	for (size_t i = 0; i < p->nsections; i++) {
		const struct xs_section *s = &p->sections[i];

		if (!string_inside(p, s->name))
			return "section name outside the file";
		if (s->data && !inside(p, s->data, s->shdr.sh_size))
			return "section data outside the file";
		for (size_t k = 0; k < s->nrelocs; k++) {
			if (s->relocs[k].sym >= p->nsyms ||
			    s->relocs[k].offset + xs_arch_reloc_width(s->relocs[k].type) >
			        s->shdr.sh_size)
				return "relocation outside its section or symbol table";
		}
	}
	for (size_t i = 0; i < p->nsyms; i++) {
		if (!string_inside(p, p->syms[i].name))
			return "symbol name outside the file";
	}
	if (p->nfuncs == 0 || p->funcs_shndx >= p->nsections || !p->build_id.len ||
	    !p->target_id.len)
		return "accepted without funcs or build-ids";
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct xs_func_desc *f = &p->funcs[i];

		if (!string_inside(p, f->name) || !f->name[0])
			return "func name outside the file or empty";
		if (f->new_sym >= p->nsyms || f->expect.len > XSPLICE_EXPECT_MAX)
			return "func new symbol or expect out of range";
	}
	for (int k = 0; k < XS_HOOK_COUNT; k++) {
		if (p->hook_shndx[k] >= p->nsections ||
		    (p->hook_shndx[k] &&
		     p->hook_count[k] * 8 != p->sections[p->hook_shndx[k]].shdr.sh_size))
			return "hook table out of range";
	}
	return NULL;
}

/* Walk every pointer slot of the funcs table and a few random ones. */
static void poke_pointers(const struct xs_payload *p)
{
	uint32_t sym;
	int64_t addend;

	for (uint64_t off = 0; off < p->sections[p->funcs_shndx].shdr.sh_size; off += 8)
		xs_payload_pointer_at(p, p->funcs_shndx, off, &sym, &addend);
	for (int i = 0; i < 8; i++)
		xs_payload_pointer_at(p, (unsigned)below(p->nsections + 1), below(4096), &sym,
		                      &addend);
	xs_error_clear();
}

struct stats {
	long accepted, refused, bad;
	long by_errno[4]; /* EINVAL, ENOEXEC, EFBIG, EOPNOTSUPP */
};

static void one(const unsigned char *good, const struct layout *l, unsigned char *buf, long iter,
                struct stats *st)
{
	static const int errs[] = { -EINVAL, -ENOEXEC, -EFBIG, -EOPNOTSUPP };
	size_t len = l->len;
	struct xs_payload *p = NULL;
	const char *why = NULL;
	int rc, n = iter ? 1 + (int)below(8) : 0; /* round 0: the fixture as built */

	memcpy(buf, good, len);
	for (int i = 0; i < n; i++)
		mutate(buf, &len, l);
	xs_error_clear();
	rc = xs_payload_open_mem(NAME, buf, len, &p);
	if (rc == 0) {
		st->accepted++;
		why = p ? broken_promise(p) : "accepted with no payload";
		if (p)
			poke_pointers(p);
	} else {
		size_t k = 0;

		st->refused++;
		while (k < XS_ARRAY_SIZE(errs) && errs[k] != rc)
			k++;
		if (k < XS_ARRAY_SIZE(errs))
			st->by_errno[k]++;
		if (k == XS_ARRAY_SIZE(errs) || p)
			why = "unexpected return value";
		else if (!strstr(xs_error_message(), NAME))
			why = "message does not name the payload";
	}
	if (rc && getenv("XSPLICE_FUZZ_VERBOSE"))
		printf("     round %ld: %d %s\n", iter, rc, xs_error_message());
	if (why || (iter == 0 && rc)) {
		if (st->bad++ < 20)
			printf("FAIL round %ld: rc %d: %s (%s)\n", iter, rc,
			       why ? why : "the fixture is refused", xs_error_message());
	}
	xs_payload_free(p);
}

int main(void)
{
	struct fx f = { .dir = "" };
	struct stats st = { 0 };
	struct layout l;
	unsigned char *good = NULL, *buf;
	size_t len;
	long iters = getenv("XSPLICE_FUZZ_ITERS") ? atol(getenv("XSPLICE_FUZZ_ITERS")) : 800000;
	long long t0;

	if (getenv("XSPLICE_FUZZ_SEED"))
		rng = strtoull(getenv("XSPLICE_FUZZ_SEED"), NULL, 0);
	if (fx_init(&f) || fx_build_good(&f, &good, &len)) {
		printf(
		    "FAIL build the good fixture (gcc, ld, include/ from the repository root)\n");
		fx_fini(&f);
		free(good);
		return 1;
	}
	fx_fini(&f);
	read_layout(good, len, &l);
	buf = malloc(len);
	t0 = xs_now_us();
	for (long i = 0; i < iters && buf; i++)
		one(good, &l, buf, i, &st);
	t0 = xs_now_us() - t0;
	printf(
	    "%s fuzz: %ld rounds in %.1f s (%.0f/s): %ld accepted, %ld refused (EINVAL %ld, ENOEXEC %ld, EFBIG %ld, EOPNOTSUPP %ld), %ld bad\n",
	    st.bad || !buf ? "FAIL" : "ok  ", iters, t0 / 1e6, iters / (t0 / 1e6 + 1e-9),
	    st.accepted, st.refused, st.by_errno[0], st.by_errno[1], st.by_errno[2], st.by_errno[3],
	    st.bad);
	/* A fuzzer that never gets past the checks, or never trips one, tests nothing. */
	printf("%s fuzz: both accepted and refused inputs seen\n",
	       st.accepted > 1 && st.refused ? "ok  " : "FAIL");
	free(buf);
	free(good);
	return st.bad || !buf || st.accepted <= 1 || !st.refused;
}
