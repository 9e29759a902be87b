/* SPDX-License-Identifier: MIT */
/*
 * The unwinder's setup, before the stop: the target's objects reported to
 * libdwfl and opened through /proc/<pid> (files from /proc/<pid>/maps, the
 * vDSO from its memory), their unwind tables paged in and their likely rows
 * learnt, so that a walk in the stop only looks things up.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "common/error.h"
#include "target/maps.h"
#include "common/page.h"
#include "unwind/unwind_int.h"
#include "target/warm_pages.h"

#define FILES_MAGIC 0x78736677u /* "xsfw": userdata of the process's file modules */
#define VDSO_ROWS 64            /* rows after each FDE start of the vDSO, at most */
#define PLT_ROWS 8              /* rows of each PLT section, at most (3 in the usual .plt) */
#define WARM_FDES_MAX 200000    /* FDEs parsed ahead, over all objects */
#define TOPS_HELPER_MIN 64      /* threads from which a helper reads stack tops (stack_tops.h) */

/* --- module callbacks ------------------------------------------------------------- */

static struct xs_code *code_of(void **userdata, Dwfl_Module *mod)
{
	struct xs_code *c = *userdata;

	return c && c->magic == CODE_MAGIC && c->mod == mod ? c : NULL;
}

/*
 * Open a file the target maps through the target itself: the exact inode
 * through map_files (deleted files too), else the path under its root. Paths
 * in its maps need not exist, or be the same file, in our mount namespace.
 */
static int open_through_proc(const struct proc_files *pf, const char *name, uint64_t base,
                             char **file_name)
{
	char path[4200];
	int fd = -1;

	for (size_t i = 0; i < pf->n; i++) {
		if (pf->v[i].start < base || strcmp(pf->v[i].path, name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pf->pid,
		         pf->v[i].start, pf->v[i].end);
		fd = open(path, O_RDONLY | O_CLOEXEC); /* needs CAP_SYS_ADMIN on older kernels */
		break;
	}
	snprintf(path, sizeof(path), "/proc/%d/root%s", pf->pid, name);
	if (fd < 0 && !strstr(name, " (deleted)"))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		*file_name = strdup(path); /* dwfl's; its directory is searched for debug files */
	return fd;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
	struct xs_code *c = code_of(userdata, mod);
	struct proc_files *pf = *userdata;
	int fd;

	if (c) {
		/* dwfl owns (and elf_ends) this Elf; the image stays ours. */
		*elfp = elf_memory((char *)c->image, c->image_len);
		return -1;
	}
	if (pf && pf->magic == FILES_MAGIC && name[0] == '/') {
		fd = open_through_proc(pf, name, base, file_name);
		/* Never a file of the same name in our own namespace. */
		if (fd >= 0 || !strstr(name, " (deleted)"))
			return fd;
	}
	if (pf && pf->magic == FILES_MAGIC && pf->vdso && base == pf->vdso_start) {
		*elfp = elf_memory((char *)pf->vdso, pf->vdso_end - pf->vdso_start);
		return -1;
	}
	/* The vDSO if not read yet, and deleted files we could not open: from memory. */
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name)
{
	if (code_of(userdata, mod))
		return -1; /* payload code has its .eh_frame and nothing else */
	return dwfl_standard_find_debuginfo(mod, userdata, name, base, file_name, debuglink, crc,
	                                    debuginfo_file_name);
}

static const Dwfl_Callbacks module_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

/* --- setup ------------------------------------------------------------------------ */

/*
 * libelf maps object files lazily: the first walk through libc's unwind
 * tables would take its page faults while the target is stopped. Touch
 * every page of them now.
 */
Elf_Scn *xs_unwind_section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (gelf_getshdr(scn, sh) && (name = elf_strptr(elf, shstrndx, sh->sh_name)) &&
		    !strcmp(name, want))
			return scn;
	}
	return NULL;
}

static void touch_unwind_tables(Elf *elf)
{
	static const char *const names[] = { ".eh_frame_hdr", ".eh_frame" };
	volatile unsigned char sink = 0;

	for (size_t k = 0; k < XS_ARRAY_SIZE(names); k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = xs_unwind_section_named(elf, names[k], &sh);
		Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

		for (size_t off = 0; d && d->d_buf && off < d->d_size; off += xs_page_size())
			sink ^= ((const unsigned char *)d->d_buf)[off];
	}
	(void)sink;
}

/*
 * Parse every FDE of an object now, while the process runs: libdw parses an
 * FDE (and its CIE) the first time a lookup lands in it, and the first walk
 * after the stop would pay for that while every thread waits. The
 * .eh_frame_hdr search table lists each FDE's first address; looking that
 * address up interns the FDE in the CFI's cache. Only the encoding every
 * toolchain emits (datarel sdata4 table, udata4 count) is read. With rows,
 * every row of every FDE is learnt (for the vDSO: small, and where every
 * thread that spins on the clock is stopped).
 */
static void warm_fdes(struct xs_unwinder *u, Elf *elf, Dwarf_CFI *cfi, Dwarf_Addr bias, bool rows)
{
	const unsigned char *p;
	GElf_Shdr sh;
	Elf_Scn *scn = xs_unwind_section_named(elf, ".eh_frame_hdr", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	uint32_t count;

	if (!cfi || !d || !d->d_buf || d->d_size < 12)
		return;
	p = d->d_buf;
	if (p[0] != 1 || p[2] != (DW_EH_PE_udata4) ||
	    p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) || (p[1] & 0x0f) != DW_EH_PE_sdata4)
		return;
	memcpy(&count, p + 8, sizeof(count));
	if (count > (d->d_size - 12) / 8)
		return;
	for (uint32_t k = 0; k < count && u->warm_budget; k++, u->warm_budget--) {
		int32_t rel;
		Dwarf_Frame *frame;

		memcpy(&rel, p + 12 + 8 * k, sizeof(rel));
		if (rows)
			xs_unwind_learn_around(u, sh.sh_addr + (int64_t)rel + bias, VDSO_ROWS);
		else if (dwarf_cfi_addrframe(cfi, sh.sh_addr + (int64_t)rel, &frame) == 0)
			free(frame);
	}
}

/*
 * The rows of an object's PLT sections. A thread that calls a library in
 * its loop is often stopped in a PLT entry, which is never a return address
 * and so not learnt from the stack; its row, looked up in the stop, would
 * cost the walk a libdw lookup while every thread waits.
 */
static void learn_plts(struct xs_unwinder *u, Elf *elf, Dwarf_Addr bias)
{
	static const char *const names[] = { ".plt", ".plt.sec", ".plt.got" };

	for (size_t k = 0; k < XS_ARRAY_SIZE(names); k++) {
		GElf_Shdr sh;

		if (xs_unwind_section_named(elf, names[k], &sh) && sh.sh_size)
			xs_unwind_learn_around(u, sh.sh_addr + bias, PLT_ROWS);
	}
}

/*
 * The vDSO's image, for preload_module: every thread spinning on the clock
 * has a frame in it, and libdwfl would otherwise read it from the target on
 * the first walk, while all threads wait. Reading /proc/<pid>/mem
 * may be refused before the attach (yama); then it loads on first use.
 */
static void read_vdso(struct proc_files *pf)
{
	size_t len = pf->vdso_end - pf->vdso_start;

	if (!len || len > (1u << 20) || !(pf->vdso = malloc(len)))
		return;
	if (xs_proc_read(pf->pid, pf->vdso_start, pf->vdso, len)) {
		xs_error_clear(); /* not an error: libdwfl reads it after the attach */
		free(pf->vdso);
		pf->vdso = NULL;
	}
}

/*
 * Open every object's ELF and CFI now, before the threads are stopped, so a
 * walk only looks things up. Not deleted files map_files may not open, nor
 * the vDSO if read_vdso could not: they are read from /proc/<pid>/mem, which
 * may need the attach (a failure here would be cached by dwfl); they load
 * when first needed.
 */
static int preload_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
                          void *arg)
{
	struct xs_unwinder *u = arg;
	Dwarf_Addr bias;
	Elf *elf;

	*userdata = &u->files;
	if (!(name[0] == '/' || (u->files.vdso && start == u->files.vdso_start)) ||
	    strstr(name, " (deleted)"))
		return DWARF_CB_OK;
	elf = dwfl_module_getelf(mod, &bias);
	if (!elf)
		return DWARF_CB_OK; /* cached by dwfl: a frame in it fails to unwind */
	if (!u->machine) {
		GElf_Ehdr ehdr;

		if (gelf_getehdr(elf, &ehdr)) {
			memcpy(u->ident, ehdr.e_ident, EI_NIDENT);
			u->machine = ehdr.e_machine;
		}
	}
	touch_unwind_tables(elf);
	warm_fdes(u, elf, dwfl_module_eh_cfi(mod, &bias), bias,
	          u->files.vdso && start == u->files.vdso_start);
	learn_plts(u, elf, bias);
	return DWARF_CB_OK;
}

static bool add_exec(struct proc_files *pf, uint64_t start, uint64_t end)
{
	struct vma *v = realloc(pf->exec, (pf->nexec + 1) * sizeof(*v));

	if (!v)
		return false;
	pf->exec = v;
	pf->exec[pf->nexec++] = (struct vma){ start, end, NULL };
	return true;
}

static int read_maps(struct xs_unwinder *u)
{
	struct xs_maps *maps;
	size_t nfiles = 0;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/maps", u->pid);
	rc = xs_maps_load(path, &maps, NULL);
	if (rc)
		return rc == -ENOENT ? xs_fail(-ESRCH, "pid %d: no such process", u->pid) :
		                       xs_fail(rc, "pid %d: cannot read %s", u->pid, path);
	for (size_t i = 0; i < maps->n; i++)
		nfiles += maps->v[i].path[0] == '/';
	u->files.v = calloc(nfiles ? nfiles : 1, sizeof(*u->files.v));
	if (!u->files.v)
		rc = xs_fail(-ENOMEM, "pid %d: no memory for its mappings", u->pid);
	for (size_t i = 0; !rc && i < maps->n; i++) {
		struct xs_map *m = &maps->v[i];

		if (xs_map_exec(m) && !add_exec(&u->files, m->start, m->end)) {
			rc = xs_fail(-ENOMEM, "pid %d: no memory for its mappings", u->pid);
			break;
		}
		if (!strncmp(m->path, "[vdso]", 6)) {
			u->files.vdso_start = m->start;
			u->files.vdso_end = m->end;
		}
		if (m->path[0] != '/')
			continue;
		/* Moved, not copied: maps is freed without it. */
		u->files.v[u->files.n++] = (struct vma){ m->start, m->end, m->path };
		m->path = NULL;
	}
	xs_maps_free(maps);
	return rc;
}

/*
 * Write a zero into every page of a fresh, zeroed object: calloc may hand out
 * pages never touched, and the walk's first writes to them (rule memo, page
 * cache) would fault while every thread waits. Volatile, so that no store is
 * dropped as redundant with calloc's zeroes.
 */
static void fault_in(void *p, size_t len)
{
	volatile unsigned char *b = p;

	for (size_t off = 0; off < len; off += xs_page_size())
		b[off] = 0;
	if (len)
		b[len - 1] = 0;
}

/* The process's thread count from /proc/<pid>/task's link count, 0 if unknown. */
static size_t count_threads(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	return stat(path, &st) == 0 && st.st_nlink > 2 ? (size_t)st.st_nlink - 2 : 0;
}

static unsigned frame_regs(void)
{
	xs_regs none = { 0 };
	uint64_t dwarf[MAX_DWARF_REGS];
	int n = xs_arch_dwarf_regs(&none, dwarf, MAX_DWARF_REGS);

	return n > 0 ? (unsigned)n : 0;
}

/* XSPLICE_UNWIND=dwfl walks every stack with libdwfl alone; =check walks with
 * both and fails on any difference (make check sets it). */
static int walk_how(void)
{
	const char *how = getenv("XSPLICE_UNWIND");

	if (how && !strcmp(how, "dwfl"))
		return WALK_DWFL;
	if (how && !strcmp(how, "check"))
		return WALK_BOTH;
	return WALK_RULES;
}

/* XSPLICE_TOPS_HELPER=0: the stop reads every stack top itself (to measure). */
static bool tops_helper_wanted(void)
{
	const char *env = getenv("XSPLICE_TOPS_HELPER");

	return !env || strcmp(env, "0");
}

int xs_unwinder_new(pid_t pid, struct xs_unwinder **out)
{
	struct xs_unwinder *u;
	size_t nthreads;
	int rc;

	*out = NULL;
	elf_version(EV_CURRENT);
	u = calloc(1, sizeof(*u));
	if (!u)
		return xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
	fault_in(u, sizeof(*u));
	xs_pages_touch_ours(u->cache, sizeof(u->cache)); /* stack pages are read into it */
	u->pid = pid;
	u->files.magic = FILES_MAGIC;
	u->files.pid = pid;
	u->warm_budget = WARM_FDES_MAX;
	u->nregs = frame_regs();
	u->how = walk_how();
	if (!xs_rows_reserve(&u->rows, ROWS_FREE)) {
		rc = xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
		goto fail;
	}
	nthreads = count_threads(pid);
	u->pre =
	    xs_tops_new(pid, nthreads + 16, nthreads >= TOPS_HELPER_MIN && tops_helper_wanted());
	if (!u->pre || !xs_unwind_grow_tops(u, nthreads + 16)) {
		rc = xs_fail(-ENOMEM, "pid %d: no memory for the unwinder", pid);
		goto fail;
	}
	rc = read_maps(u);
	if (rc)
		goto fail;
	read_vdso(&u->files);
	u->dwfl = dwfl_begin(&module_callbacks);
	if (!u->dwfl) {
		rc = xs_fail(-ENOMEM, "pid %d: cannot start libdwfl: %s", pid, dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_report_begin(u->dwfl);
	rc = dwfl_linux_proc_report(u->dwfl, pid);
	if (rc > 0) {
		rc = rc == ENOENT ? xs_fail(-ESRCH, "pid %d: no such process", pid) :
		                    xs_fail(-rc, "pid %d: cannot read /proc/%d/maps", pid, pid);
		goto fail;
	}
	if (rc < 0 || dwfl_report_end(u->dwfl, NULL, NULL) != 0) {
		rc = xs_fail(-EIO, "pid %d: libdwfl cannot list the objects: %s", pid,
		             dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_getmodules(u->dwfl, preload_module, u, 0);
	dwfl_addrmodule(u->dwfl, 0); /* builds the address lookup table now */
	if (!u->machine) {
		rc = xs_fail(-ENOEXEC, "pid %d: no readable ELF object in the process", pid);
		goto fail;
	}
	/* Once per unwinder: our callbacks serve whichever thread is being walked. */
	if (!dwfl_attach_state(u->dwfl, NULL, pid, &xs_unwind_thread_callbacks, u)) {
		rc = xs_fail(-EIO, "pid %d: libdwfl cannot set up unwinding: %s", pid,
		             dwfl_errmsg(-1));
		goto fail;
	}
	*out = u;
	return 0;
fail:
	xs_unwinder_free(u);
	return rc;
}

void xs_unwinder_free(struct xs_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl); /* first: its Elf handles point into our images */
	while (u->code) {
		struct xs_code *next = u->code->next;

		free(u->code->image);
		free(u->code);
		u->code = next;
	}
	for (size_t i = 0; i < u->files.n; i++)
		free(u->files.v[i].path);
	free(u->files.v);
	free(u->files.exec);
	free(u->files.vdso);
	xs_tops_free(u->pre);
	free(u->tops);
	xs_snap_free(&u->snap);
	xs_rows_free(&u->rows);
	free(u);
}
