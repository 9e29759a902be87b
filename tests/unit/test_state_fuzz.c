/* SPDX-License-Identifier: MIT */
/*
 * The registry read from a target is hostile input (state_check.h). Named
 * forgeries first (each must be refused), then a fuzzer: a valid registry
 * image mutated 1-8 times a round (random bytes, boundary values in chosen
 * fields) with a fixed-seed PRNG, fed to xs_state_check and xs_fstate_check.
 * They must never crash or write their input, and whatever they accept must
 * keep every promise the engine and the CLI rely on. XSPLICE_FUZZ_ITERS and
 * XSPLICE_FUZZ_SEED override the defaults.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "state/state_check.h"

#define BASE 0x7f0000000000ull

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void payload_at(struct xs_state_payload *p, const char *id, uint64_t base, int status,
                       uint64_t seq)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->used = 1;
	p->status = status;
	p->apply_seq = seq;
	p->nfuncs = 2;
	p->build_id.len = 20;
	p->target_id.len = 20;
	snprintf(p->object, sizeof(p->object), "/usr/bin/server");
	p->base = base;
	p->size = 0x4000;
	p->text_start = base;
	p->text_end = base + 0x1000;
	p->stub_addr = base + 0xfe0;
	p->funcs_addr = base + 0x1000;
	p->fstate_addr = base + 0x3000;
	p->eh_frame_addr = base + 0x2000;
	p->eh_frame_size = 0x100;
	p->hooks_addr[XS_HOOK_LOAD] = base + 0x2800;
	p->nhooks[XS_HOOK_LOAD] = 2;
}

static void good(struct xs_state *st)
{
	memset(st, 0, sizeof(*st));
	st->magic = XS_STATE_MAGIC;
	st->abi = XS_STATE_ABI;
	st->version = 77;
	st->next_seq = 3;
	payload_at(&st->payloads[0], "fix1", BASE, XS_STATUS_APPLIED, 1);
	payload_at(&st->payloads[1], "fix2", BASE + 0x10000, XS_STATUS_APPLIED, 2);
	payload_at(&st->payloads[5], "fix3", BASE + 0x20000, XS_STATUS_CHECKED, 0);
	st->journal.action = XS_ACTION_APPLY;
	st->journal.count = 1;
	st->journal.entries[0] = (typeof(st->journal.entries[0])){ 5, XS_STATUS_CHECKED, 0 };
}

static void good_fs(struct xs_fstate *fs)
{
	memset(fs, 0, 2 * sizeof(*fs));
	for (int i = 0; i < 2; i++) {
		fs[i].old_addr = 0x401000 + 0x40 * i;
		fs[i].new_addr = BASE + 0x10 * i;
		fs[i].len = 5;
		fs[i].applied = 1;
	}
}

/* Each forgery the security review found, refused. */
static void named(void)
{
	static struct xs_state st;
	struct xs_fstate fs[2];
	struct {
		const char *what;
		void (*edit)(struct xs_state *);
	} cases[] = {
#define CASE(what, stmt)                                                                           \
	{ what, ({                                                                                 \
		  void f(struct xs_state *s)                                                       \
		  {                                                                                \
			  stmt;                                                                    \
		  }                                                                                \
		  f;                                                                               \
	  }) }
		CASE("id without its NUL", memset(s->payloads[0].id, 'a', XS_ID_MAX)),
		CASE("empty id", s->payloads[0].id[0] = 0),
		CASE("id with a slash", s->payloads[0].id[1] = '/'),
		CASE("two slots, one id", strcpy(s->payloads[1].id, "fix1")),
		CASE("status 99", s->payloads[0].status = 99),
		CASE("status -1", s->payloads[0].status = -1),
		CASE("rc 5", s->payloads[0].rc = 5),
		CASE("nfuncs 2^31", s->payloads[0].nfuncs = 1u << 31),
		CASE("build-id of 255 bytes", s->payloads[0].build_id.len = 255),
		CASE("depends of 65 bytes", s->payloads[0].depends_id.len = 65),
		CASE("object not terminated", memset(s->payloads[0].object, 'x', XS_PATH_MAX)),
		CASE("region wraps", s->payloads[0].size = -BASE),
		CASE("region of 8 GiB", s->payloads[0].size = 8ull << 30),
		CASE("region not page aligned", s->payloads[0].base += 8),
		CASE("text past its region", s->payloads[0].text_end = BASE + 0x5000),
		CASE("records past the region", s->payloads[0].fstate_addr = BASE + 0x3ff8),
		CASE("funcs table wraps", s->payloads[0].funcs_addr = -64ull),
		CASE("return stub outside text", s->payloads[0].stub_addr = BASE + 0xff8),
		CASE("200000 hooks", s->payloads[0].nhooks[XS_HOOK_LOAD] = 200000),
		CASE("hooks outside", s->payloads[0].hooks_addr[XS_HOOK_UNLOAD] = 8;
		     s->payloads[0].nhooks[XS_HOOK_UNLOAD] = 1),
		CASE("eh_frame of 1 GiB", s->payloads[0].eh_frame_size = 1u << 30),
		CASE("overlapping regions", s->payloads[1].base = BASE + 0x1000;
		     s->payloads[1].text_start = BASE + 0x1000),
		CASE("applied without a sequence", s->payloads[0].apply_seq = 0),
		CASE("sequence past next", s->payloads[0].apply_seq = 9),
		CASE("shared sequence", s->payloads[1].apply_seq = 1),
		CASE("used 2", s->payloads[3].used = 2),
		CASE("journal action 7", s->journal.action = 7),
		CASE("journal of 1000", s->journal.count = 1000),
		CASE("journal slot -5", s->journal.entries[0].slot = -5),
		CASE("journal slot 9999", s->journal.entries[0].slot = 9999),
		CASE("journal slot unused", s->journal.entries[0].slot = 9),
		CASE("journal slot twice", s->journal.count = 2;
		     s->journal.entries[1] = s->journal.entries[0]),
		CASE("journal status 40", s->journal.entries[0].prev_status = 40),
		CASE("magic", s->magic ^= 1),
		CASE("abi 1", s->abi = 1),
		CASE("next sequence 0", s->next_seq = 0),
#undef CASE
	};

	good(&st);
	check(xs_state_check(&st, 42) == 0, "a good registry is accepted");
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		good(&st);
		cases[i].edit(&st);
		xs_error_clear();
		check(xs_state_check(&st, 42) == -EPROTO && strstr(xs_error_message(), "registry"),
		      "refused: %s (%s)", cases[i].what, xs_error_message());
	}
	good(&st);
	good_fs(fs);
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == 0, "good function records accepted");
	fs[1].len = 4096; /* copied into a 32-byte buffer by an older CLI */
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == -EPROTO, "record length 4096 refused");
	good_fs(fs);
	fs[0].patch_offset = 0xfffffff0;
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == -EPROTO,
	      "patch offset 2^32-16 refused");
	good_fs(fs);
	fs[0].old_addr = -3ull;
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == -EPROTO, "site wrapping refused");
	good_fs(fs);
	fs[0].new_addr = 0x401000;
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == -EPROTO,
	      "new code outside the payload's text refused");
	good_fs(fs);
	fs[0].applied = 9;
	check(xs_fstate_check(&st.payloads[0], fs, 2, 42) == -EPROTO, "applied 9 refused");
}

static bool inside(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	return a >= lo && a <= hi && len <= hi - a;
}

/* What an accepted registry promises its readers. */
static bool keeps_promises(const struct xs_state *st)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &st->payloads[i];
		uint64_t end = p->base + p->size;

		if (!p->used)
			continue;
		if (!memchr(p->id, 0, XS_ID_MAX) || !memchr(p->object, 0, XS_PATH_MAX) ||
		    !strcmp(xs_status_name(p->status), "UNKNOWN") ||
		    p->nfuncs > XS_STATE_MAX_FUNCS || p->build_id.len > XS_BUILD_ID_MAX ||
		    p->target_id.len > XS_BUILD_ID_MAX || p->depends_id.len > XS_BUILD_ID_MAX ||
		    end < p->base ||
		    !inside(p->fstate_addr, (uint64_t)p->nfuncs * sizeof(struct xs_fstate), p->base,
		            end) ||
		    !inside(p->funcs_addr, (uint64_t)p->nfuncs * sizeof(struct xsplice_func),
		            p->base, end) ||
		    !inside(p->text_start, p->text_end - p->text_start, p->base, end))
			return false;
		for (int k = 0; k < XS_HOOK_COUNT; k++)
			if (p->nhooks[k] > XS_STATE_MAX_HOOKS)
				return false;
	}
	if (st->journal.action != XS_ACTION_NONE) {
		if (st->journal.count > XS_STATE_MAX_PAYLOADS)
			return false;
		for (uint32_t e = 0; e < st->journal.count; e++)
			if (st->journal.entries[e].slot < 0 ||
			    st->journal.entries[e].slot >= XS_STATE_MAX_PAYLOADS ||
			    !st->payloads[st->journal.entries[e].slot].used)
				return false;
	}
	return true;
}

static const uint64_t odd[] = { 0,
	                        1,
	                        2,
	                        3,
	                        4,
	                        5,
	                        31,
	                        32,
	                        33,
	                        63,
	                        64,
	                        65,
	                        255,
	                        4095,
	                        4096,
	                        0x7fffffff,
	                        0x80000000,
	                        0xffffffff,
	                        1ull << 32,
	                        1ull << 62,
	                        -1ull,
	                        -4096ull,
	                        BASE,
	                        BASE + 0x1000,
	                        BASE + 0x3ff8 };

static void mutate(unsigned char *b, size_t len)
{
	int n = 1 + (int)(rnd() % 8);
	size_t head = offsetof(struct xs_state, payloads) + 6 * sizeof(struct xs_state_payload);
	bool registry = len == sizeof(struct xs_state);

	while (n--) {
		size_t at;

		switch (rnd() % (registry ? 4 : 3)) {
		case 0: /* a random byte */
			b[rnd() % len] = (unsigned char)rnd();
			break;
		case 1: /* a boundary value over an aligned word in the first slots */
			at = (rnd() % (registry ? head : len)) & ~7ull;
			if (at + 8 <= len) {
				uint64_t v = odd[rnd() % XS_ARRAY_SIZE(odd)];
				memcpy(b + at, &v, rnd() % 2 ? 8 : 4);
			}
			break;
		case 2: /* a bit */
			b[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8));
			break;
		default: /* a copy of one slot over another */
			at = rnd() % XS_STATE_MAX_PAYLOADS;
			memcpy(b + offsetof(struct xs_state, payloads) +
			           (rnd() % 6) * sizeof(struct xs_state_payload),
			       b + offsetof(struct xs_state, payloads) +
			           at * sizeof(struct xs_state_payload),
			       sizeof(struct xs_state_payload));
		}
	}
}

static void fuzz(long iters)
{
	static struct xs_state st, copy;
	struct xs_fstate fs[2], fcopy[2];
	long accepted = 0, broken = 0, wrote = 0;

	for (long i = 0; i < iters; i++) {
		good(&st);
		mutate((unsigned char *)&st, sizeof(st));
		copy = st;
		xs_error_clear();
		if (xs_state_check(&st, 42) == 0) {
			accepted++;
			broken += !keeps_promises(&st);
			if (st.payloads[0].used) {
				good_fs(fs);
				mutate((unsigned char *)fs, sizeof(fs));
				memcpy(fcopy, fs, sizeof(fs));
				if (xs_fstate_check(&st.payloads[0], fs, 2, 42) == 0)
					for (int f = 0; f < 2; f++)
						broken += fs[f].len > XSPLICE_EXPECT_MAX ||
						          fs[f].patch_offset > XSPLICE_EXPECT_MAX;
				wrote += memcmp(fcopy, fs, sizeof(fs)) != 0;
			}
		} else if (!strstr(xs_error_message(), "registry")) {
			broken++;
		}
		wrote += memcmp(&copy, &st, sizeof(st)) != 0;
	}
	check(broken == 0, "fuzz: %ld rounds, %ld accepted, %ld broke a promise", iters, accepted,
	      broken);
	check(wrote == 0, "fuzz: the checks wrote their input %ld times", wrote);
	check(accepted > iters / 100, "fuzz: mutations still leave some registries valid (%ld)",
	      accepted);
}

int main(void)
{
	const char *iters = getenv("XSPLICE_FUZZ_ITERS"), *seed = getenv("XSPLICE_FUZZ_SEED");

	if (seed)
		rng = strtoull(seed, NULL, 0);
	named();
	fuzz(iters ? atol(iters) : 1000000);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
