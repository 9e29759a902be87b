/* SPDX-License-Identifier: MIT */
/*
 * A hostile target for the attack_* cases: a compute-like process that, on
 * command, edits the xsplice registry it finds in its own memory (the fields
 * named as in src/state/state.h, compiled against it, so offsets follow the header)
 * or forges one. Usage: hostile CMDDIR [NTHREADS]
 *
 * Workers call compute(7) and print "tI compute(7)=V" when the value changes;
 * the main thread prints "tick N compute(7)=V b(7)=V victim(7)=V buf=S"
 * every 100 ms and, every 20 ms, runs the lines of CMDDIR/cmd (CMDDIR/cmd.cI
 * in forked child I; the file is removed when read), printing "ok LINE" or
 * "err LINE: why" for each and then "done" ("err LINE: read-only to the
 * target" when it cannot write there). CMDDIR must be writable by the
 * target. Commands:
 *   set OBJ FIELD VALUE   OBJ: hdr, journal, entry.I, payload.ID, fstate.ID.I;
 *                         (payload fields nhooks.KIND, hooks_addr.KIND);
 *                         VALUE: a number (written over the field's first 8
 *                         bytes at most, the rest zeroed), str:TEXT,
 *                         fill:C (every byte C), hex:BYTES
 *   show OBJ FIELD        prints "val OBJ FIELD NUMBER"
 *   slot ID               prints "slot ID N"
 *   save | restore        the registry and every payload's fstate records
 *   forge_undo ID PID     (attack C) ID's records point at buf and victim(),
 *                         undoing them would write "PWNED!" and 'return 666';
 *                         a journal (APPLY, owner PID, ID's slot) asks for it
 *                         (none when PID is 0)
 *   forge_inplace ID buf|victim PID
 *                         the same through ID's own first record, in place
 *                         (inside its region): its undo would write "PWNED!"
 *                         into buf or 'return 666' over victim()
 *   forge_text ID         (attack D) ID's base/size and text cover our code
 *   swap_layout ID1 ID2   (attack D) the two records trade where their
 *                         payloads live (every field from base on)
 *   forge_root FILE       (attack A) FILE mapped private with a forged
 *                         registry in it, and a mapping whose maps line is
 *                         longer than 511 bytes, its tail naming FILE's address
 *                         and "/memfd:xsplice-state"
 *   truncate              (attack G) ftruncate the registry memfd to 0
 *   fork N                (attack E) N children, output in CMDDIR/childI.out
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "state/state.h"
#include "tgt.h"

volatile int input = 7;
volatile int scale = 2, scale_b = 3, scale_v = 3;
char buf[16] = "hello!";

/* compute() is what the payloads replace; compute_b() is 8 KiB away from it
 * (a crash between two writes: attack_pid_reuse); victim() is never patched. */
__attribute__((noinline, noipa, aligned(8192))) int compute(int x)
{
	return x * scale;
}

__attribute__((noinline, noipa, aligned(8192))) int compute_b(int x)
{
	return x * scale_b;
}

__attribute__((noinline, noipa, aligned(64))) int victim(int x)
{
	return x * scale_v + (int)(input - 7);
}

static const char *cmd_dir;
static char cmd_name[32] = "cmd";

static void *worker(void *arg)
{
	long id = (long)arg;
	int last = -1;

	for (unsigned long n = 0;; n++) {
		int x = input, v = compute(x);

		if (v != last) {
			say("t%ld compute(%d)=%d\n", id, x, v);
			last = v;
		}
		if (n % 64 == 0)
			sleep_ms(2);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* our own maps, whole lines however long */

/* The maps line of the mapping that starts at start (malloc'd), or NULL. */
static char *maps_line(uintptr_t start)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		unsigned long long a;

		if (sscanf(line, "%llx-", &a) == 1 && a == start) {
			fclose(f);
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			return line;
		}
	}
	free(line);
	fclose(f);
	return NULL;
}

/* The registry: a mapping whose path contains "xsplice-state", one under
 * /memfd: preferred (attack A's decoy path contains the name too). */
static struct xs_state *registry(size_t *len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned long long best = 0, best_end = 0;
	int best_rank = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long a, b;
		int path = 0, rank;

		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &a, &b, &path) < 2 || !path ||
		    !strstr(line + path, XS_STATE_NAME))
			continue;
		rank = strncmp(line + path, "/memfd:", 7) ? 1 : 2;
		if (rank > best_rank)
			best = a, best_end = b, best_rank = rank;
	}
	free(line);
	fclose(f);
	if (len)
		*len = best_end - best;
	return (struct xs_state *)(uintptr_t)best;
}

/* Why a command failed when not even we can write that memory: the cases
 * take it as "nothing to attack" (lib.sh, hattack). */
#define READ_ONLY "read-only to the target"

/* Write our own memory even where it is read-only (FOLL_FORCE), else map
 * the page writable first. */
static int poke(void *dst, const void *src, size_t len)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pwrite(fd, src, len, (off_t)(uintptr_t)dst) : -1;

	if (fd >= 0)
		close(fd);
	if (n == (ssize_t)len)
		return 0;
	uintptr_t page = (uintptr_t)dst & ~(uintptr_t)4095;
	if (mprotect((void *)page, (uintptr_t)dst + len - page, PROT_READ | PROT_WRITE))
		return -errno;
	memcpy(dst, src, len);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* fields by name */

struct field {
	const char *name;
	size_t off, size;
};

/* clang-format off */
#define FLD(T, m) {#m, offsetof(T, m), sizeof(((T *)0)->m)}
/* clang-format on */
typedef __typeof__(((struct xs_journal *)0)->entries[0]) xs_entry_t;

static const struct field hdr_fields[] = {FLD(struct xs_state, magic),
					  FLD(struct xs_state, abi),
					  FLD(struct xs_state, version),
					  FLD(struct xs_state, next_seq),
					  {NULL, 0, 0}};
static const struct field journal_fields[] = {FLD(struct xs_journal, action),
					      FLD(struct xs_journal, owner),
					      FLD(struct xs_journal, count),
					      {NULL, 0, 0}};
static const struct field entry_fields[] = {
    FLD(xs_entry_t, slot), FLD(xs_entry_t, prev_status), FLD(xs_entry_t, prev_seq), {NULL, 0, 0}};
static const struct field payload_fields[] = {FLD(struct xs_state_payload, id),
					      FLD(struct xs_state_payload, used),
					      FLD(struct xs_state_payload, status),
					      FLD(struct xs_state_payload, rc),
					      FLD(struct xs_state_payload, nfuncs),
					      FLD(struct xs_state_payload, apply_seq),
					      FLD(struct xs_state_payload, build_id.len),
					      FLD(struct xs_state_payload, target_id.len),
					      FLD(struct xs_state_payload, depends_id.len),
					      FLD(struct xs_state_payload, object),
					      FLD(struct xs_state_payload, base),
					      FLD(struct xs_state_payload, size),
					      FLD(struct xs_state_payload, text_start),
					      FLD(struct xs_state_payload, text_end),
					      FLD(struct xs_state_payload, funcs_addr),
					      FLD(struct xs_state_payload, fstate_addr),
					      FLD(struct xs_state_payload, eh_frame_addr),
					      FLD(struct xs_state_payload, eh_frame_size),
					      FLD(struct xs_state_payload, stub_addr),
					      {NULL, 0, 0}};
static const struct field fstate_fields[] = {
    FLD(struct xs_fstate, old_addr),	 FLD(struct xs_fstate, new_addr),
    FLD(struct xs_fstate, old_size),	 FLD(struct xs_fstate, new_size),
    FLD(struct xs_fstate, patch_offset), FLD(struct xs_fstate, len),
    FLD(struct xs_fstate, applied),	 FLD(struct xs_fstate, saved),
    FLD(struct xs_fstate, written),	 {NULL, 0, 0}};

static const struct {
	const char *name;
	int kind;
} hook_kinds[] = {
    {"load", XS_HOOK_LOAD},
    {"unload", XS_HOOK_UNLOAD},
    {"pre_apply", XS_HOOK_PRE_APPLY},
    {"apply", XS_HOOK_APPLY},
    {"post_apply", XS_HOOK_POST_APPLY},
    {"pre_revert", XS_HOOK_PRE_REVERT},
    {"revert", XS_HOOK_REVERT},
    {"post_revert", XS_HOOK_POST_REVERT},
};

static int slot_of(struct xs_state *st, const char *id)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (st->payloads[i].used && !strncmp(st->payloads[i].id, id, XS_ID_MAX))
			return i;
	return -1;
}

/* Where FIELD of OBJ lives in our memory; *why on failure. */
static int resolve(const char *obj, const char *name, unsigned char **at, size_t *size,
		   const char **why)
{
	struct xs_state *st = registry(NULL);
	const struct field *fields;
	unsigned char *base;
	char id[XS_ID_MAX + 1] = "";
	unsigned idx = 0;
	int slot;

	if (!st)
		return *why = "no registry mapped", -1;
	if (!strcmp(obj, "hdr")) {
		fields = hdr_fields, base = (unsigned char *)st;
	} else if (!strcmp(obj, "journal")) {
		fields = journal_fields, base = (unsigned char *)&st->journal;
	} else if (sscanf(obj, "entry.%u", &idx) == 1) {
		/* past the array too: entry.I beyond it is what a forged count reads */
		fields = entry_fields,
		base = (unsigned char *)&st->journal.entries[0] + (size_t)idx * sizeof(xs_entry_t);
	} else if (sscanf(obj, "payload.%40[^.]", id) == 1 && !strchr(obj + 8, '.')) {
		if ((slot = slot_of(st, id)) < 0)
			return *why = "no such payload", -1;
		fields = payload_fields, base = (unsigned char *)&st->payloads[slot];
		/* arrays by hook kind: nhooks.KIND, hooks_addr.KIND */
		for (size_t k = 0; k < sizeof(hook_kinds) / sizeof(hook_kinds[0]); k++) {
			char n1[64], n2[64];

			snprintf(n1, sizeof(n1), "nhooks.%s", hook_kinds[k].name);
			snprintf(n2, sizeof(n2), "hooks_addr.%s", hook_kinds[k].name);
			if (!strcmp(name, n1))
				return *at = base + offsetof(struct xs_state_payload, nhooks) +
					     hook_kinds[k].kind * sizeof(st->payloads[0].nhooks[0]),
				       *size = sizeof(st->payloads[0].nhooks[0]), 0;
			if (!strcmp(name, n2))
				return *at = base + offsetof(struct xs_state_payload, hooks_addr) +
					     hook_kinds[k].kind *
						 sizeof(st->payloads[0].hooks_addr[0]),
				       *size = sizeof(st->payloads[0].hooks_addr[0]), 0;
		}
	} else if (sscanf(obj, "fstate.%40[^.].%u", id, &idx) == 2) {
		if ((slot = slot_of(st, id)) < 0)
			return *why = "no such payload", -1;
		fields = fstate_fields;
		base = (unsigned char *)(uintptr_t)st->payloads[slot].fstate_addr +
		       (size_t)idx * sizeof(struct xs_fstate);
	} else {
		return *why = "unknown object", -1;
	}
	for (; fields->name; fields++)
		if (!strcmp(fields->name, name))
			return *at = base + fields->off, *size = fields->size, 0;
	return *why = "unknown field", -1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static int set_field(const char *obj, const char *name, const char *value, const char **why)
{
	unsigned char *at, v[4096];
	size_t size, n = 0;

	if (resolve(obj, name, &at, &size, why))
		return -1;
	if (size > sizeof(v))
		return *why = "field too large", -1;
	memcpy(v, at, size);
	if (!strncmp(value, "str:", 4)) {
		memset(v, 0, size);
		n = strlen(value + 4);
		memcpy(v, value + 4, n < size ? n : size);
	} else if (!strncmp(value, "fill:", 5)) {
		memset(v, value[5], size);
	} else if (!strncmp(value, "hex:", 4)) {
		for (const char *h = value + 4; h[0] && h[1] && n < size; h += 2)
			v[n++] = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
	} else {
		char *end;
		uint64_t x =
		    value[0] == '-' ? (uint64_t)strtoll(value, &end, 0) : strtoull(value, &end, 0);

		if (*end)
			return *why = "not a number", -1;
		memset(v, 0, size);
		memcpy(v, &x, size < 8 ? size : 8); /* little-endian */
	}
	if (poke(at, v, size))
		return *why = READ_ONLY, -1;
	return 0;
}

static int show_field(const char *obj, const char *name, const char **why)
{
	unsigned char *at;
	size_t size;
	uint64_t x = 0;

	if (resolve(obj, name, &at, &size, why))
		return -1;
	memcpy(&x, at, size < 8 ? size : 8);
	if (size == 4 && (int32_t)x < 0)
		say("val %s %s %d\n", obj, name, (int32_t)x);
	else
		say("val %s %s %" PRIu64 "\n", obj, name, x);
	return 0;
}

static int show_slot(const char *id, const char **why)
{
	struct xs_state *st = registry(NULL);
	int slot = st ? slot_of(st, id) : -1;

	if (slot < 0)
		return *why = "no registry or no such payload", -1;
	say("slot %s %d\n", id, slot);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* save and restore */

static struct {
	struct xs_state *st;
	size_t len;
	void *copy;
	struct {
		void *at, *copy;
		size_t len;
	} fs[XS_STATE_MAX_PAYLOADS];
} saved;

static int save(const char **why)
{
	size_t len;
	struct xs_state *st = registry(&len);

	if (!st)
		return *why = "no registry mapped", -1;
	free(saved.copy);
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		free(saved.fs[i].copy);
	memset(&saved, 0, sizeof(saved));
	saved.st = st;
	saved.len = len;
	saved.copy = malloc(len);
	memcpy(saved.copy, st, len);
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		const struct xs_state_payload *p = &st->payloads[i];

		if (!p->used || !p->fstate_addr || p->nfuncs > 4096)
			continue;
		saved.fs[i].at = (void *)(uintptr_t)p->fstate_addr;
		saved.fs[i].len = p->nfuncs * sizeof(struct xs_fstate);
		saved.fs[i].copy = malloc(saved.fs[i].len);
		memcpy(saved.fs[i].copy, saved.fs[i].at, saved.fs[i].len);
	}
	return 0;
}

static int restore(const char **why)
{
	if (!saved.copy)
		return *why = "nothing saved", -1;
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (saved.fs[i].copy && poke(saved.fs[i].at, saved.fs[i].copy, saved.fs[i].len))
			return *why = READ_ONLY, -1;
	if (poke(saved.st, saved.copy, saved.len))
		return *why = READ_ONLY, -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* the forgeries */

static struct xs_fstate forged_fs[2];

/* The journal forge_undo writes: an apply by owner (0: none) of slot. */
static int forge_journal(struct xs_state *st, int slot, const char *owner)
{
	struct xs_journal j;
	int32_t owner_pid = atoi(owner);

	if (!owner_pid)
		return 0;
	memset(&j, 0, sizeof(j));
	j.action = XS_ACTION_APPLY;
	/* an int today; should it become a struct, the pid comes first */
	memcpy(&j.owner, &owner_pid, sizeof(owner_pid));
	j.count = 1;
	j.entries[0].slot = slot;
	j.entries[0].prev_status = XS_STATUS_CHECKED;
	return poke(&st->journal, &j, sizeof(j));
}

static int forge_undo(const char *id, const char *owner, const char **why)
{
	struct xs_state *st = registry(NULL);
	struct xs_state_payload p;
	static const unsigned char ret666[] = {0xb8, 0x9a, 0x02, 0x00, 0x00, 0xc3};
	int slot;

	if (!st || (slot = slot_of(st, id)) < 0)
		return *why = "no registry or no such payload", -1;
	memset(forged_fs, 0, sizeof(forged_fs));
	forged_fs[0] = (struct xs_fstate){
	    .old_addr = (uintptr_t)buf, .old_size = sizeof(buf), .len = 6, .applied = 1};
	memcpy(forged_fs[0].written, buf, 6);
	memcpy(forged_fs[0].saved, "PWNED!", 6);
	forged_fs[1] = (struct xs_fstate){
	    .old_addr = (uintptr_t)victim, .old_size = 16, .len = sizeof(ret666), .applied = 1};
	memcpy(forged_fs[1].written, (const void *)victim, sizeof(ret666));
	memcpy(forged_fs[1].saved, ret666, sizeof(ret666));
	p = st->payloads[slot];
	p.fstate_addr = (uintptr_t)forged_fs;
	p.nfuncs = 2;
	if (poke(&st->payloads[slot], &p, sizeof(p)) || forge_journal(st, slot, owner))
		return *why = READ_ONLY, -1;
	return 0;
}

/* forge_undo's records, but in place: ID's own first record (inside its
 * region, where every pointer of it is) sends its undo to buf or victim. */
static int forge_inplace(const char *id, const char *where, const char *owner, const char **why)
{
	struct xs_state *st = registry(NULL);
	static const unsigned char ret666[] = {0xb8, 0x9a, 0x02, 0x00, 0x00, 0xc3};
	struct xs_fstate f, *at;
	int slot;

	if (!st || (slot = slot_of(st, id)) < 0 || !st->payloads[slot].nfuncs)
		return *why = "no registry or no such payload", -1;
	at = (struct xs_fstate *)(uintptr_t)st->payloads[slot].fstate_addr;
	f = *at;
	f.patch_offset = 0;
	f.len = 6;
	f.applied = 1;
	if (!strcmp(where, "buf")) {
		f.old_addr = (uintptr_t)buf;
		memcpy(f.written, buf, 6);
		memcpy(f.saved, "PWNED!", 6);
	} else if (!strcmp(where, "victim")) {
		f.old_addr = (uintptr_t)victim;
		memcpy(f.written, (const void *)victim, 6);
		memcpy(f.saved, ret666, 6);
	} else {
		return *why = "buf or victim", -1;
	}
	if (poke(at, &f, sizeof(f)) || forge_journal(st, slot, owner))
		return *why = READ_ONLY, -1;
	return 0;
}

static int forge_text(const char *id, const char **why)
{
	struct xs_state *st = registry(NULL);
	struct xs_state_payload p;
	unsigned long long a, b;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	int slot;

	if (!st || (slot = slot_of(st, id)) < 0 || !f) {
		if (f)
			fclose(f);
		return *why = "no registry or no such payload", -1;
	}
	while (getline(&line, &cap, f) > 0)
		if (sscanf(line, "%llx-%llx", &a, &b) == 2 && a <= (uintptr_t)compute &&
		    (uintptr_t)compute < b)
			break;
	free(line);
	fclose(f);
	p = st->payloads[slot];
	p.base = p.text_start = a;
	p.size = b - a;
	p.text_end = b;
	say("text %llx-%llx\n", a, b);
	if (poke(&st->payloads[slot], &p, sizeof(p)))
		return *why = READ_ONLY, -1;
	return 0;
}

/* Swap where two payloads live: every field from base to the end of the
 * record (region, text, tables, records, trap, hooks) trades places, each
 * still a consistent layout of a real payload. */
static int swap_layout(const char *id1, const char *id2, const char **why)
{
	struct xs_state *st = registry(NULL);
	const size_t from = offsetof(struct xs_state_payload, base);
	struct xs_state_payload a, b;
	int s1, s2;

	if (!st || (s1 = slot_of(st, id1)) < 0 || (s2 = slot_of(st, id2)) < 0)
		return *why = "no registry or no such payload", -1;
	a = st->payloads[s1];
	b = st->payloads[s2];
	memcpy((char *)&a + from, (char *)&st->payloads[s2] + from, sizeof(a) - from);
	memcpy((char *)&b + from, (char *)&st->payloads[s1] + from, sizeof(b) - from);
	if (poke(&st->payloads[s1], &a, sizeof(a)) || poke(&st->payloads[s2], &b, sizeof(b)))
		return *why = READ_ONLY, -1;
	return 0;
}

static struct xsplice_func forged_funcs[1];

/* Our executable's build-id, so that a forged payload's target is loaded. */
static int own_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct xs_build_id *id = arg;

	(void)size;
	if (info->dlpi_name && info->dlpi_name[0])
		return 0; /* the executable comes first, with no name */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const void *)(info->dlpi_addr + ph->p_vaddr);
		const unsigned char *end = p + ph->p_memsz;

		while (ph->p_type == PT_NOTE && p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const void *)p;
			const unsigned char *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz <= XS_BUILD_ID_MAX) {
				id->len = n->n_descsz;
				memcpy(id->bytes, desc, n->n_descsz);
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/* A forged payload record in the forged registry st (mapped at reg). */
static void forge_payload(struct xs_state *st, int slot, const char *id, int status, int fslot,
			  int cell)
{
	struct xs_state_payload *p = &st->payloads[slot];
	/* in the object strings of unused slots: their "used" stays 0 */
	struct xs_fstate *fs = (struct xs_fstate *)(void *)st->payloads[fslot].object;
	unsigned char *where = (unsigned char *)st->payloads[cell].object;
	void *scratch =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->object, sizeof(p->object), "/forged/by/pid/%d", (int)getpid());
	p->used = 1;
	p->status = status;
	p->nfuncs = 1;
	p->apply_seq = status == XS_STATUS_APPLIED ? 1 : 0;
	p->base = p->text_start = (uintptr_t)scratch;
	p->size = 4096;
	p->text_end = p->base + 4096;
	p->funcs_addr = (uintptr_t)forged_funcs;
	p->fstate_addr = (uintptr_t)fs;
	dl_iterate_phdr(own_build_id, &p->target_id); /* so that apply gets to its stop */
	/* its "site" is a cell of the mapping itself */
	*fs = (struct xs_fstate){.old_addr = (uintptr_t)where,
				 .new_addr = p->base,
				 .old_size = 64,
				 .len = 8,
				 .applied = status == XS_STATUS_APPLIED};
	memcpy(fs->saved, "ROOTPWN!", 8);
	memcpy(fs->written, where, 8);
}

static int forge_root(const char *file, const char **why)
{
	const size_t len = (sizeof(struct xs_state) + 4095) & ~(size_t)4095;
	char path[4096], *line;
	int fd = open(file, O_RDONLY | O_CLOEXEC), col = 0;
	struct xs_state *st;
	void *m;
	size_t n;

	if (fd < 0)
		return *why = "cannot open the file", -1;
	st = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (st == MAP_FAILED)
		return *why = "cannot map the file", -1;
	forged_funcs[0].name = "forged_fn";
	forged_funcs[0].old_addr = (void *)victim;
	forged_funcs[0].old_size = 16; /* new_addr NULL, new_size 0: a NOP patch of nothing */
	forged_funcs[0].version = XSPLICE_FUNC_VERSION;
	memset(st, 0, sizeof(*st)); /* our private copy only */
	st->magic = XS_STATE_MAGIC;
	st->abi = XS_STATE_ABI;
	st->version = 1000;
	st->next_seq = 2;
	forge_payload(st, 0, "evil", XS_STATUS_APPLIED, 62, 63);
	forge_payload(st, 1, "evil2", XS_STATUS_REVERTED, 60, 61);

	/* Where a path starts in a maps line of a file here (the columns are
	 * padded, so the same for any file on this file system). */
	snprintf(path, sizeof(path), "%s/probe", cmd_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		return *why = "cannot create the probe file", -1;
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	line = m == MAP_FAILED ? NULL : maps_line((uintptr_t)m);
	if (line && strchr(line, '/'))
		col = (int)(strchr(line, '/') - line);
	free(line);
	munmap(m, 4096);
	unlink(path);
	if (!col)
		return *why = "cannot find the probe's maps line", -1;

	/* Directories so that the maps line's 511th byte starts "ADDR-" of the
	 * mapping above: a 512-byte fgets reads the rest as a line of its own. */
	n = (size_t)snprintf(path, sizeof(path), "%s/", cmd_dir);
	if ((int)n + 2 > 511 - col)
		return *why = "command directory path too long", -1;
	while ((int)n < 511 - col) {
		size_t rem = (size_t)(511 - col) - n, c = rem - 1;

		if (c > 200)
			c = 200;
		if (rem - (c + 1) == 1)
			c--;
		memset(path + n, 'd', c);
		path[n + c] = '/';
		path[n + c + 1] = '\0';
		n += c + 1;
		if (mkdir(path, 0755) && errno != EEXIST)
			return *why = "cannot make the directories", -1;
	}
	n += (size_t)snprintf(path + n, sizeof(path) - n, "%lx-/", (unsigned long)(uintptr_t)st);
	if (mkdir(path, 0755) && errno != EEXIST)
		return *why = "cannot make the address directory", -1;
	snprintf(path + n, sizeof(path) - n, "memfd:%s", XS_STATE_NAME);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 4096))
		return *why = "cannot create the decoy file", -1;
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	line = m == MAP_FAILED ? NULL : maps_line((uintptr_t)m);
	if (!line || strlen(line) < 512)
		return free(line), *why = "the decoy's maps line is not long enough", -1;
	say("forged 0x%lx len %zu\n", (unsigned long)(uintptr_t)st, len);
	say("tail %s\n", line + 511);
	free(line);
	return 0;
}

static int truncate_registry(const char **why)
{
	size_t len;
	struct xs_state *st = registry(&len);
	char path[96];
	int fd;

	if (!st)
		return *why = "no registry mapped", -1;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)(uintptr_t)st,
		 (unsigned long)(uintptr_t)st + len);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return *why = strerror(errno), -1;
	if (ftruncate(fd, 0)) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int fork_children(int n, const char **why)
{
	pid_t parent = getpid();

	for (int i = 1; i <= n; i++) {
		pid_t c = fork();
		char path[4096];
		int fd;

		if (c < 0)
			return *why = "fork failed", -1;
		if (c > 0) {
			say("child %d %d\n", i, (int)c);
			continue;
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		snprintf(path, sizeof(path), "%s/child%d.out", cmd_dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(1);
		close(fd);
		snprintf(cmd_name, sizeof(cmd_name), "cmd.c%d", i);
		say("pid %d\nready\n", (int)getpid());
		return 1; /* the child: back to the main loop, no more commands here */
	}
	return 0;
}

/* ------------------------------------------------------------------------ */

static int run(char *line)
{
	char *argv[8], *tok = NULL, copy[512];
	const char *why = "usage";
	int argc = 0, rc = -1;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok_r(line, " \t", &tok); t && argc < 8; t = strtok_r(NULL, " \t", &tok))
		argv[argc++] = t;
	if (!argc)
		return 0;
	if (!strcmp(argv[0], "set") && argc == 4)
		rc = set_field(argv[1], argv[2], argv[3], &why);
	else if (!strcmp(argv[0], "show") && argc == 3)
		rc = show_field(argv[1], argv[2], &why);
	else if (!strcmp(argv[0], "slot") && argc == 2)
		rc = show_slot(argv[1], &why);
	else if (!strcmp(argv[0], "save") && argc == 1)
		rc = save(&why);
	else if (!strcmp(argv[0], "restore") && argc == 1)
		rc = restore(&why);
	else if (!strcmp(argv[0], "forge_undo") && argc == 3)
		rc = forge_undo(argv[1], argv[2], &why);
	else if (!strcmp(argv[0], "forge_inplace") && argc == 4)
		rc = forge_inplace(argv[1], argv[2], argv[3], &why);
	else if (!strcmp(argv[0], "swap_layout") && argc == 3)
		rc = swap_layout(argv[1], argv[2], &why);
	else if (!strcmp(argv[0], "forge_text") && argc == 2)
		rc = forge_text(argv[1], &why);
	else if (!strcmp(argv[0], "forge_root") && argc == 2)
		rc = forge_root(argv[1], &why);
	else if (!strcmp(argv[0], "truncate") && argc == 1)
		rc = truncate_registry(&why);
	else if (!strcmp(argv[0], "fork") && argc == 2)
		rc = fork_children(atoi(argv[1]), &why);
	if (rc == 1)
		return 1; /* a forked child */
	if (rc)
		say("err %s: %s\n", copy, why);
	else
		say("ok %s\n", copy);
	return 0;
}

static void poll_commands(void)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cmd_dir, cmd_name);
	f = fopen(path, "re");
	if (!f)
		return;
	unlink(path);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (run(line) == 1) { /* a forked child: its parent answers */
			fclose(f);
			free(line);
			return;
		}
	}
	fclose(f);
	free(line);
	say("done\n");
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2;

	if (argc < 2) {
		say("usage: hostile CMDDIR [NTHREADS]\n");
		return 2;
	}
	cmd_dir = argv[1];
	say("pid %d\n", (int)getpid());
	say("addr compute %p\naddr compute_b %p\naddr victim %p\naddr buf %p\n", (void *)compute,
	    (void *)compute_b, (void *)victim, (void *)buf);
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, (void *)i)) {
			say("pthread_create failed\n");
			return 1;
		}
	}
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		for (int i = 0; i < 5; i++) {
			sleep_ms(20);
			poll_commands();
		}
		say("tick %lu compute(%d)=%d b(%d)=%d victim(%d)=%d buf=%.15s\n", tick, input,
		    compute(input), input, compute_b(input), input, victim(input), buf);
	}
}
