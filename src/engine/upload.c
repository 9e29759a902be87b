/* SPDX-License-Identifier: MIT */
/*
 * UPLOAD: read the payload, resolve what it references in the process,
 * place it within jump reach of the object it patches and link it there,
 * all while the process runs; then, stopped: choose system calls the
 * process's seccomp filters allow, map it, write it, set protections (text
 * r-x, rodata and funcs r--, data rw-), run its load hooks and register it.
 * Any failure unmaps what was mapped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch.h"
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "common/error.h"
#include "symbols/inline_check.h"
#include "loader/loader.h"
#include "symbols/objects.h"
#include "payload/payload.h"
#include "state/state_check.h"
#include "loader/placement.h"
#include "engine/upload.h"

struct xs_upload {
	char id[XS_ID_MAX];
	pid_t pid;
	unsigned flags;
	struct xs_payload *p;
	struct xs_objects *objs;
	struct xs_object *home;
	struct xs_image img;
	uint64_t *symval;
	unsigned anchor;      /* symbol XSPLICE_SHADOW_ANCHOR, 0: not used */
	const char **symobj;  /* by symbol: the object it resolved in (for messages) */
	unsigned char *ifunc; /* by symbol: value is a resolver to call */
	bool has_ifunc;
	struct xsplice_func *resolved; /* old_addr, old_size of each function */
	struct xs_session *s;          /* attached, in the stop */
	uint64_t hint;                 /* where it goes (xs_upload_plan) */
	bool linked;                   /* the image is linked at hint */
	int way;                       /* how its text is made executable (enum way, plan) */
	uint64_t base;                 /* 0 until mapped */
};

/*
 * How the text becomes r-x. By mprotect, as always; a filter like systemd's
 * MemoryDenyWriteExecute= forbids that (mprotect with PROT_EXEC) but allows
 * an r-x mmap: then the text is mapped again, r-x, over the start of the
 * mapping just made (MAP_FIXED replaces only what that call mapped: every
 * thread is stopped, so nothing else can be there).
 */
enum way { WAY_MPROTECT, WAY_MMAP, NWAYS };

/* The payload's system calls, in order (the unmap: if upload fails, and at unload). */
enum { PC_MAP, PC_TEXT, PC_DATA, PC_UNMAP, PC_NCALLS };

static void payload_calls(const struct xs_upload *u, int way, struct xs_syscall c[PC_NCALLS])
{
	const uint64_t base = u->hint, text = u->img.text_size;
	const struct xs_syscall text_call[NWAYS] = {
		[WAY_MPROTECT] = { SYS_mprotect,
		                   { base, text, PROT_READ | PROT_EXEC },
		                   "to make its text executable" },
		[WAY_MMAP] = { SYS_mmap,
		               { base, text, PROT_READ | PROT_EXEC,
		                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0 },
		               "to map its text executable" },
	};
	const struct xs_syscall calls[PC_NCALLS] = {
		[PC_MAP] = { SYS_mmap,
		             { base, u->img.size, PROT_READ,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0 },
		             "to map the payload" },
		[PC_TEXT] = text_call[way],
		[PC_DATA] = { SYS_mprotect,
		              { base + u->img.rw_off, u->img.rw_size + u->img.fstate_size,
		                PROT_READ | PROT_WRITE },
		              "to make its data writable" },
		[PC_UNMAP] = { SYS_munmap, { base, u->img.size }, "to unmap it" },
	};

	memcpy(c, calls, sizeof(calls));
}

static int resolve_funcs(struct xs_upload *u, struct xsplice_func *out)
{
	for (size_t i = 0; i < u->p->nfuncs; i++) {
		const struct xs_func_desc *fd = &u->p->funcs[i];
		struct xs_symbol_info si;
		int rc;

		memset(&out[i], 0, sizeof(out[i]));
		if (fd->old_addr) { /* given by the author as a link-time address */
			out[i].old_addr = (void *)(uintptr_t)(fd->old_addr + u->home->bias);
			out[i].old_size = fd->old_size;
			continue;
		}
		rc = xs_object_lookup(u->home, fd->name, &si);
		if (rc)
			return xs_fail(rc, "payload %s: function to patch '%s' not found in %s",
			               u->id, fd->name, u->home->path);
		if (si.type == STT_GNU_IFUNC)
			return xs_fail(
			    -EOPNOTSUPP,
			    "payload %s: '%s' is an IFUNC resolver: patch its implementation instead",
			    u->id, fd->name);
		if (si.type != STT_FUNC)
			return xs_fail(-EINVAL, "payload %s: '%s' in %s is not a function", u->id,
			               fd->name, u->home->path);
		out[i].old_addr = (void *)(uintptr_t)si.addr;
		out[i].old_size = fd->old_size ? fd->old_size : (uint32_t)si.size;
	}
	return 0;
}

static int resolve_symbols(struct xs_upload *u)
{
	for (size_t i = 1; i < u->p->nsyms; i++) {
		const struct xs_symbol *sym = &u->p->syms[i];
		struct xs_symbol_info si;
		int rc;

		if (sym->shndx != SHN_UNDEF || !sym->name[0] ||
		    !strcmp(sym->name, "_GLOBAL_OFFSET_TABLE_"))
			continue;
		if (!strcmp(sym->name, XSPLICE_SHADOW_ANCHOR)) {
			u->anchor = (unsigned)i; /* in the registry: resolved once attached */
			continue;
		}
		rc = xs_objects_resolve(u->objs, u->home, sym->name, &si);
		if (rc == -XS_ERRNO__NO_SYMBOL && sym->bind == STB_WEAK) {
			xs_error_clear(); /* an unresolved weak reference is NULL, not an error */
			continue;
		}
		if (rc)
			return xs_fail(rc, "payload %s: undefined symbol '%s' not found in pid %d",
			               u->id, sym->name, u->pid);
		if (si.type == STT_TLS)
			return xs_fail(
			    -EOPNOTSUPP,
			    "payload %s: symbol '%s' is thread-local: TLS access from a payload is not supported",
			    u->id, sym->name);
		u->symval[i] = si.addr;
		u->symobj[i] = si.obj ? si.obj->path : NULL;
		u->ifunc[i] = si.type == STT_GNU_IFUNC;
		u->has_ifunc |= u->ifunc[i];
	}
	return 0;
}

/* IFUNC: the dynamic linker's answer is what the resolver returns: ask it. */
static int call_resolvers(struct xs_upload *u)
{
	uint64_t stub = u->base + u->img.stub_off;

	for (size_t i = 1; i < u->p->nsyms; i++) {
		uint64_t impl;
		int rc;

		if (!u->ifunc[i])
			continue;
		rc = xs_target_call(u->s->t, u->symval[i], NULL, 0, stub, 1000, &impl);
		if (rc)
			return xs_fail(rc, "payload %s: IFUNC resolver of '%s' failed", u->id,
			               u->p->syms[i].name);
		u->symval[i] = impl;
	}
	return 0;
}

/* Every copy of the old code (inlined, cloned) must go with it: see inline_check.h. */
static int check_copies(struct xs_upload *u, const struct xsplice_func *resolved, bool allow)
{
	const char **names = calloc(u->p->nfuncs ? u->p->nfuncs : 1, sizeof(*names));
	uint64_t *addrs = calloc(u->p->nfuncs ? u->p->nfuncs : 1, sizeof(*addrs));
	int rc;

	if (!names || !addrs) {
		rc = xs_fail(-ENOMEM, "payload %s: no memory", u->id);
	} else {
		for (size_t i = 0; i < u->p->nfuncs; i++) {
			names[i] = u->p->funcs[i].name;
			addrs[i] = (uint64_t)(uintptr_t)resolved[i].old_addr;
		}
		rc = xs_inline_check(u->home, u->id, names, addrs, u->p->nfuncs, allow);
	}
	free(names);
	free(addrs);
	return rc;
}

/* Within jump reach of the object it patches; maps read now. */
static int find_place(struct xs_upload *u)
{
	int rc = xs_find_gap(u->pid, u->home->start, u->home->end, u->img.size,
	                     xs_arch_jump_range(), &u->hint);

	return rc ? xs_fail(rc, "payload %s: no room near %s", u->id, u->home->path) : 0;
}

/* Linked at hint (IFUNCs: at their resolvers, until the stop calls them),
 * the functions' old addresses in its funcs table. */
static int link_at_hint(struct xs_upload *u)
{
	int rc = xs_image_link(u->p, &u->img, u->hint, u->symval);
	uint64_t funcs_off = u->img.sec_off[u->p->funcs_shndx];

	for (size_t i = 0; !rc && i < u->p->nfuncs; i++) {
		struct xsplice_func *f = (void *)(u->img.bytes + funcs_off + i * sizeof(*f));

		f->old_addr = u->resolved[i].old_addr;
		f->old_size = u->resolved[i].old_size;
	}
	return rc;
}

/*
 * In the stop, before anything changes: a way to map the payload (and make
 * the registry, if there is none) that the seccomp filters of some thread
 * allow; its system calls will run in that thread (filters can be read only
 * from a stopped thread).
 */
static int pick_way(struct xs_upload *u)
{
	struct xs_syscall c[PC_NCALLS + XS_STATE_CALLS];
	struct xs_syscall_denial why[NWAYS];
	char text[NWAYS][192];
	const char *what[NWAYS];
	size_t n = PC_NCALLS + xs_session_state_calls(u->s, c + PC_NCALLS);
	int rc;

	for (int w = 0; w < NWAYS; w++) {
		payload_calls(u, w, c);
		rc = xs_target_syscalls_allowed(u->s->t, c, n, &why[w]);
		if (!rc)
			u->way = w;
		if (rc != -EPERM || !why[w].verdict)
			return rc;
		/* One of c, or of the signal frame the calls would return through */
		xs_syscall_text(why[w].refused, text[w], sizeof(text[0]));
		what[w] = why[w].refused->what ? why[w].refused->what : "";
	}
	if (!strcmp(text[WAY_MPROTECT], text[WAY_MMAP]))
		return xs_fail(
		    -EPERM,
		    "payload %s: pid %d: no thread's seccomp filter allows %s (%s; verdict %s in thread %d)",
		    u->id, u->pid, text[WAY_MMAP], what[WAY_MMAP], why[WAY_MMAP].verdict,
		    why[WAY_MMAP].tid);
	return xs_fail(
	    -EPERM,
	    "payload %s: pid %d: no thread's seccomp filter allows %s (%s; verdict %s in thread %d), nor %s (%s; verdict %s in thread %d)",
	    u->id, u->pid, text[WAY_MPROTECT], what[WAY_MPROTECT], why[WAY_MPROTECT].verdict,
	    why[WAY_MPROTECT].tid, text[WAY_MMAP], what[WAY_MMAP], why[WAY_MMAP].verdict,
	    why[WAY_MMAP].tid);
}

/*
 * Shadow variables: every payload's code finds the same word, in the
 * registry, which the first payload that needs it makes (its system calls
 * checked by pick_way). Linked again when the plan had no registry to
 * point at, or another one.
 */
static int place_anchor(struct xs_upload *u)
{
	uint64_t at = 0;
	int rc;

	if (!u->anchor)
		return 0;
	rc = xs_session_shadow_anchor(u->s, &at);
	if (rc || at == u->symval[u->anchor])
		return rc;
	u->symval[u->anchor] = at;
	return link_at_hint(u);
}

/*
 * The kernel's own MDWE (PR_SET_MDWE, Linux 6.3+; systemd 254+ prefers it to
 * its filter for MemoryDenyWriteExecute=) refuses an mprotect that makes a
 * mapping executable, with EACCES, and cannot be seen from outside the
 * process; a new r-x mapping it allows. So after that EACCES the text is
 * mapped the other way, if a thread's seccomp filters allow that too.
 */
static int map_text_again(struct xs_upload *u, struct xs_syscall c[PC_NCALLS], long *ret)
{
	struct xs_syscall_denial why;
	int rc;

	payload_calls(u, WAY_MMAP, c);
	rc = xs_target_syscalls_allowed(u->s->t, &c[PC_TEXT], 1, &why);
	if (rc)
		return -EACCES; /* the mprotect's message stands */
	xs_error_clear();
	u->way = WAY_MMAP;
	return xs_session_run(u->s, &c[PC_TEXT], ret);
}

/*
 * Map PROT_READ at the planned place (elsewhere when that was taken
 * meanwhile), then text r-x, then write it: never writable, written via
 * /proc/pid/mem (after the text call: an r-x mmap maps fresh pages), then
 * IFUNC resolvers called and the image written again, then its data rw-.
 */
static int map_payload(struct xs_upload *u, bool *moved)
{
	struct xs_syscall c[PC_NCALLS];
	long ret;
	int rc;

	payload_calls(u, u->way, c);
	rc = xs_session_run(u->s, &c[PC_MAP], &ret);
	if (rc == -EEXIST) { /* mapped by the process since the plan */
		xs_error_clear();
		*moved = true;
		rc = find_place(u) ?: pick_way(u) ?: link_at_hint(u);
		if (!rc) {
			payload_calls(u, u->way, c);
			rc = xs_session_run(u->s, &c[PC_MAP], &ret);
		}
	}
	if (rc)
		return xs_fail(rc, "payload %s: mmap of %zu bytes at 0x%llx in pid %d failed",
		               u->id, u->img.size, (unsigned long long)u->hint, u->s->pid);
	u->base = (uint64_t)ret;
	if (u->base != u->hint)
		return xs_fail(-ENOMEM, "payload %s: mmap placed it at 0x%llx, not 0x%llx", u->id,
		               (unsigned long long)u->base, (unsigned long long)u->hint);
	xs_mark("mmap");
	rc = xs_session_run(u->s, &c[PC_TEXT], &ret);
	xs_mark("text");
	if (rc == -EACCES && u->way == WAY_MPROTECT)
		rc = map_text_again(u, c, &ret);
	if (!rc && u->way == WAY_MMAP && (uint64_t)ret != u->base)
		rc = -ENOMEM; /* MAP_FIXED: cannot happen */
	if (rc)
		return xs_fail(rc, "payload %s: cannot make its text executable in pid %d", u->id,
		               u->s->pid);
	/* The records (fstate) after it are zeros: the mapping is new. */
	rc = xs_target_write(u->s->t, u->base, u->img.bytes, u->img.fstate_off);
	if (!rc && u->has_ifunc) /* the resolvers return into its stub */
		rc = call_resolvers(u)   ?:
		         link_at_hint(u) ?:
		         xs_target_write(u->s->t, u->base, u->img.bytes, u->img.fstate_off);
	xs_mark("written");
	if (!rc)
		rc = xs_session_run(u->s, &c[PC_DATA], &ret);
	if (rc)
		return xs_fail(rc, "payload %s: cannot write it into pid %d", u->id, u->s->pid);
	return 0;
}

static void fill_record(struct xs_upload *u, uint64_t base, int status,
                        struct xs_state_payload *rec)
{
	const struct xs_payload *p = u->p;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s", u->id);
	rec->used = 1;
	rec->status = status;
	rec->nfuncs = p->nfuncs;
	rec->build_id = p->build_id;
	rec->target_id = p->target_id;
	rec->depends_id = p->depends_id;
	snprintf(rec->object, sizeof(rec->object), "%s", u->home->path);
	rec->base = base;
	rec->size = u->img.size;
	rec->text_start = base;
	rec->text_end = base + u->img.text_size;
	rec->funcs_addr = xs_image_sec_addr(&u->img, p->funcs_shndx);
	rec->fstate_addr = base + u->img.fstate_off;
	rec->stub_addr = base + u->img.stub_off;
	for (size_t s = 1; s < p->nsections; s++)
		if (!strcmp(p->sections[s].name, ".eh_frame") &&
		    p->sections[s].kind != XS_SEC_SKIP) {
			rec->eh_frame_addr = xs_image_sec_addr(&u->img, s);
			rec->eh_frame_size = p->sections[s].shdr.sh_size;
		}
	for (int h = 0; h < XS_HOOK_COUNT; h++)
		if (p->hook_shndx[h]) {
			rec->hooks_addr[h] = xs_image_sec_addr(&u->img, p->hook_shndx[h]);
			rec->nhooks[h] = p->hook_count[h];
		}
}

static int free_slot(struct xs_session *s, const char *id)
{
	int slot = -1;

	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++) {
		if (s->state->payloads[i].used && !strcmp(s->state->payloads[i].id, id))
			return xs_fail(-EEXIST, "pid %d: payload '%s' is already loaded", s->pid,
			               id);
		if (!s->state->payloads[i].used && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return xs_fail(-ENOSPC, "pid %d: already %d payloads loaded", s->pid,
		               XS_STATE_MAX_PAYLOADS);
	return slot;
}

static int prepare(struct xs_upload *u, const char *path, pid_t pid)
{
	int rc = xs_payload_open(path, &u->p);

	if (!rc)
		rc = xs_objects_scan(pid, &u->objs);
	if (rc)
		return rc;
	u->home = xs_objects_by_build_id(u->objs, &u->p->target_id);
	if (!u->home) {
		char want[2 * XS_BUILD_ID_MAX + 1];

		xs_hex(u->p->target_id.bytes, u->p->target_id.len, want);
		return xs_fail(-XS_ERRNO__BUILD_ID,
		               "payload %s: built for build-id %s, which no object in pid %d has",
		               u->id, want, pid);
	}
	u->symval = calloc(u->p->nsyms, sizeof(*u->symval));
	u->symobj = calloc(u->p->nsyms, sizeof(*u->symobj));
	u->ifunc = calloc(u->p->nsyms, 1);
	if (!u->symval || !u->symobj || !u->ifunc)
		return xs_fail(-ENOMEM, "payload %s: no memory", u->id);
	rc = resolve_symbols(u);
	if (!rc)
		rc = xs_image_layout(u->p, &u->img);
	u->img.sym_obj = u->symobj;
	return rc;
}

int xs_upload_prepare(pid_t pid, const char *id, const char *path, unsigned flags,
                      struct xs_upload **out)
{
	struct xs_upload *u = calloc(1, sizeof(*u));
	int rc = u ? xs_id_check(id) : xs_fail(-ENOMEM, "payload %s: no memory", id);

	*out = u;
	if (rc)
		return rc;
	snprintf(u->id, sizeof(u->id), "%s", id);
	u->pid = pid;
	u->flags = flags;
	rc = xs_target_check(pid);
	if (!rc)
		rc = prepare(u, path, pid);
	if (!rc && !(u->resolved = calloc(u->p->nfuncs ? u->p->nfuncs : 1, sizeof(*u->resolved))))
		rc = xs_fail(-ENOMEM, "payload %s: no memory", id);
	if (!rc)
		rc = resolve_funcs(u, u->resolved);
	if (!rc) /* before the process is attached: it reads files only */
		rc = check_copies(u, u->resolved, flags & XS_ALLOW_INLINED);
	return rc;
}

void xs_upload_free(struct xs_upload *u)
{
	if (!u)
		return;
	free(u->resolved);
	free(u->symval);
	free(u->symobj);
	free(u->ifunc);
	xs_image_free(&u->img);
	xs_objects_free(u->objs);
	xs_payload_free(u->p);
	free(u);
}

const char *xs_upload_func_name(const void *arg, const char *id, uint32_t func)
{
	const struct xs_upload *u = arg;

	return !strcmp(u->id, id) && func && func <= u->p->nfuncs ? u->p->funcs[func - 1].name :
	                                                            NULL;
}

int xs_upload_plan(struct xs_upload *u, struct xs_session *before, int *slot, bool preview)
{
	int rc = free_slot(before, u->id);

	*slot = rc;
	if (rc < 0)
		return rc;
	rc = find_place(u);
	if (!rc && u->anchor) /* a stand-in in reach until there is a registry */
		u->symval[u->anchor] = xs_session_shadow_anchor_at(before) ?: u->hint;
	if (!rc)
		rc = link_at_hint(u);
	if (rc || !preview)
		return rc;
	fill_record(u, u->hint, XS_STATUS_CHECKED, &before->state->payloads[*slot]);
	before->overlay = u->img.bytes;
	before->overlay_addr = u->hint;
	before->overlay_len = u->img.size;
	return 0;
}

void xs_upload_unpreview(struct xs_upload *u, struct xs_session *before, int slot)
{
	(void)u;
	if (slot >= 0)
		memset(&before->state->payloads[slot], 0, sizeof(before->state->payloads[slot]));
	before->overlay = NULL;
	before->overlay_len = 0;
}

int xs_upload_place(struct xs_upload *u, struct xs_session *s, bool checked, int *slot, bool *moved)
{
	int rc = free_slot(s, u->id), planned = *slot;

	*moved = false;
	*slot = rc;
	if (rc < 0)
		return rc;
	*moved = rc != planned;
	u->s = s;
	u->base = 0;
	rc = pick_way(u);
	xs_mark("seccomp");
	if (!rc)
		rc = place_anchor(u);
	if (!rc)
		rc = map_payload(u, moved);
	xs_mark("mapped");
	/* The registry comes last (unless made for the shadow anchor: then it
	 * goes again below): a refused upload leaves the maps as they were. */
	if (!rc)
		rc = xs_session_ensure_state(s);
	if (!rc) {
		struct xs_hook_time ht;

		xs_hook_time_init(&ht, XS_DEFAULT_TIMEOUT_MS);
		fill_record(u, u->base, checked ? XS_STATUS_CHECKED : XS_STATUS_LOADED,
		            &s->state->payloads[*slot]);
		rc = xs_run_hooks(s, *slot, XS_HOOK_LOAD, true, &ht);
	}
	if (!rc)
		rc = xs_session_commit(s);
	xs_mark("registered");
	if (rc) {
		memset(&s->state->payloads[*slot], 0, sizeof(s->state->payloads[*slot]));
		if (u->base) {
			struct xs_syscall c[PC_NCALLS];
			long ignored;

			payload_calls(u, u->way, c);
			xs_session_run(s, &c[PC_UNMAP], &ignored);
			u->base = 0;
		}
		xs_session_drop_empty_state(s);
	}
	u->s = NULL;
	return rc;
}

/*
 * Planned while the process runs, placed holding one thread: until it is
 * registered nothing refers to the new mapping, so the other threads may
 * run. Load hooks run with every thread stopped, as does a placing that
 * the held thread's seccomp filters refuse or a journal needs (-EPERM,
 * -EAGAIN), or one whose thread did not stop in time (-ETIMEDOUT, nothing
 * done): then once more, so.
 */
int xs_upload(pid_t pid, const char *id, const char *path, unsigned flags)
{
	struct xs_upload *u = NULL;
	int rc = xs_upload_prepare(pid, id, path, flags, &u);
	bool one = !rc && !u->p->hook_count[XS_HOOK_LOAD];

	for (int pass = 0; !rc && pass < 2; pass++, one = false) {
		struct xs_session *before = NULL, *s = NULL;
		int slot = -1;
		bool moved, held = false;

		rc = xs_session_open(pid, false, XS_DEFAULT_TIMEOUT_MS, &before);
		if (!rc)
			rc = xs_upload_plan(u, before, &slot, false);
		if (!rc)
			rc = one ? xs_session_open_one(pid, XS_DEFAULT_TIMEOUT_MS, before, &s) :
			           xs_session_open_again(pid, XS_DEFAULT_TIMEOUT_MS, before, &s);
		held = !rc;
		xs_mark("stopped");
		if (!rc)
			rc = xs_upload_place(u, s, false, &slot, &moved);
		xs_session_close(s);
		xs_session_close(before);
		xs_mark("released");
		xs_marks_print("upload stop timeline, us");
		if (!one || (rc != -EPERM && rc != -EAGAIN && (held || rc != -ETIMEDOUT)))
			break;
		xs_debug("payload %s: with one thread held: %s; again with all", id,
		         xs_error_message());
		xs_error_clear();
		rc = 0;
	}
	xs_upload_free(u);
	return xs_target_explain(pid, rc);
}
