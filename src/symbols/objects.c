/* SPDX-License-Identifier: MIT */
/*
 * Target objects: the executable and the shared libraries mapped in a
 * process (/proc/<pid>/maps), opened through /proc/<pid>/map_files, with load
 * bias and build-id, ordered as the dynamic linker's global scope.
 */
#include "symbols/objects.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "target/maps.h"
#include "symbols/objects_priv.h"
#include "common/page.h"
#include "target/target.h"

#define MAX_LINK_MAP 4096        /* link-map entries walked before we call it a loop */
#define MAX_DYNAMIC (256u << 10) /* bytes of PT_DYNAMIC read from the target */
#define DELETED_SUFFIX " (deleted)"
#define DEBUG_ROOT_DEFAULT "/usr/lib/debug"

/* One file-backed line of /proc/<pid>/maps (maps.h). */
struct mapping {
	uint64_t start, end, offset;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	const char *path; /* in the struct xs_maps read */
	size_t group;     /* index of the object candidate it belongs to */
};

/* An object while scanning: what the final list needs plus scan-only facts. */
struct cand {
	struct xs_object obj;
	uint64_t dyn_addr, dyn_size; /* runtime PT_DYNAMIC; 0 when none */
	size_t rank;                 /* position in the global scope */
	int ok;                      /* a loaded ELF object (else dropped) */
};

/* --- ELF helpers shared with symtab.c ---------------------------------------------- */

int xs_obj_elf_open(const char *path, int *fdp, Elf **elfp)
{
	static int initialised;
	Elf *elf;
	int fd, rc;

	if (!initialised) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return -ENOSYS;
		initialised = 1;
	}
	/* Paths come from the user or from the target (its own files): a FIFO
	 * there must not hold us (-EINVAL: not a regular file). */
	rc = xs_open_regular(path, &fd, NULL);
	if (rc)
		return rc;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	*fdp = fd;
	*elfp = elf;
	return 0;
}

void xs_obj_elf_close(int fd, Elf *elf)
{
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

/* Look for the GNU build-id note in one block of notes. */
static int notes_build_id(Elf_Data *data, struct xs_build_id *out)
{
	GElf_Nhdr nh;
	size_t off = 0, next, name_off, desc_off;

	while (data && off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;

		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4) &&
		    nh.n_descsz > 0 && nh.n_descsz <= XS_BUILD_ID_MAX) {
			out->len = nh.n_descsz;
			memcpy(out->bytes, (const char *)data->d_buf + desc_off, nh.n_descsz);
			return 0;
		}
		off = next;
	}
	return -ENOENT;
}

int xs_obj_elf_build_id(Elf *elf, struct xs_build_id *out)
{
	Elf_Scn *scn = NULL;
	size_t nph = 0;

	memset(out, 0, sizeof(*out));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    !notes_build_id(elf_getdata(scn, NULL), out))
			return 0;
	}
	/* No section headers (or no note section): the segments still have it. */
	if (elf_getphdrnum(elf, &nph))
		return -ENOENT;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *data;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz,
		                            ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!notes_build_id(data, out))
			return 0;
	}
	return -ENOENT;
}

int xs_file_build_id(const char *path, struct xs_build_id *out)
{
	Elf *elf;
	int fd, rc;

	rc = xs_obj_elf_open(path, &fd, &elf);
	if (rc == -ENOEXEC)
		return xs_fail(rc, "%s: not an ELF file", path);
	if (rc == -EINVAL)
		return xs_fail(rc, "%s: not a regular file", path);
	if (rc)
		return xs_fail(rc, "%s: cannot open", path);
	rc = xs_obj_elf_build_id(elf, out);
	if (rc)
		xs_fail(rc, "%s: no GNU build-id note", path);
	xs_obj_elf_close(fd, elf);
	return rc;
}

/* 0 when the file at path is an ELF file with obj's build-id that want accepts. */
static int open_debug_candidate(const struct xs_object *obj, const char *path,
                                bool (*want)(Elf *elf), int *fd, Elf **elf)
{
	struct xs_build_id id;

	if (xs_obj_elf_open(path, fd, elf))
		return -ENOENT;
	if (!xs_obj_elf_build_id(*elf, &id) && id.len == obj->build_id.len &&
	    !memcmp(id.bytes, obj->build_id.bytes, id.len) && (!want || want(*elf)))
		return 0;
	xs_debug("%s: %s is not its debug file (another build-id, or not what we look for)",
	         obj->path, path);
	xs_obj_elf_close(*fd, *elf);
	*fd = -1;
	*elf = NULL;
	return -ENOENT;
}

int xs_obj_debug_open(const struct xs_object *obj, pid_t pid, bool (*want)(Elf *elf), char **path,
                      int *fd, Elf **elf, char **tried)
{
	const char *root = getenv("XSPLICE_DEBUG_ROOT");
	char hex[2 * XS_BUILD_ID_MAX + 1], *p = NULL;

	*path = NULL;
	if (tried)
		*tried = NULL;
	if (obj->build_id.len < 2)
		return -ENOENT;
	if (!root || !root[0])
		root = DEBUG_ROOT_DEFAULT;
	xs_hex(obj->build_id.bytes, obj->build_id.len, hex);
	for (int i = 0; i < 2; i++) {
		if (i == 1 && !pid)
			break;
		if ((i == 0 ? asprintf(&p, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2) :
		              asprintf(&p, "/proc/%d/root%s/.build-id/%.2s/%s.debug", (int)pid,
		                       root, hex, hex + 2)) < 0)
			return xs_fail(-ENOMEM, "%s: out of memory looking for its debug file",
			               obj->path);
		if (!open_debug_candidate(obj, p, want, fd, elf)) {
			*path = p;
			return 0;
		}
		if (i == 0 && tried) /* named in "not found" messages */
			*tried = p;
		else
			free(p);
		p = NULL;
	}
	return -ENOENT;
}

/* --- /proc/<pid>/maps ---------------------------------------------------------------- */

/* Whether m may map an object: not anonymous, [heap]/[stack]/[vdso]/[vsyscall],
 * nor a memfd payload. */
static bool maybe_object(const struct xs_map *m)
{
	return m->path[0] == '/' && m->inode != 0 && strncmp(m->path, "/memfd:", 7) != 0;
}

/* The file mappings of all that may be objects; paths point into all. */
static int file_maps(pid_t pid, const struct xs_maps *all, struct mapping **out, size_t *nout)
{
	struct mapping *maps = calloc(all->n ? all->n : 1, sizeof(*maps));
	size_t n = 0;

	if (!maps)
		return xs_fail(-ENOMEM, "pid %d: out of memory reading its memory map", (int)pid);
	for (size_t i = 0; i < all->n; i++) {
		const struct xs_map *m = &all->v[i];

		if (maybe_object(m))
			maps[n++] = (struct mapping){ .start = m->start,
				                      .end = m->end,
				                      .offset = m->offset,
				                      .dev_major = m->dev_major,
				                      .dev_minor = m->dev_minor,
				                      .inode = m->inode,
				                      .path = m->path };
	}
	*out = maps;
	*nout = n;
	return 0;
}

static int same_file(const struct mapping *a, const struct mapping *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->path, b->path);
}

/*
 * Group the mappings by file. The segments of one object need not be
 * adjacent (anonymous gaps, .bss), so join the latest group of the same file,
 * unless this maps its start again (the same file loaded twice).
 */
static size_t group_maps(struct mapping *maps, size_t n)
{
	size_t ngroups = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = i, g;
		int has_start = 0;

		while (j > 0 && !same_file(&maps[j - 1], &maps[i]))
			j--;
		if (j == 0) {
			maps[i].group = ngroups++;
			continue;
		}
		g = maps[j - 1].group;
		for (size_t k = 0; maps[i].offset == 0 && k < i; k++)
			has_start |= maps[k].group == g && maps[k].offset == 0;
		maps[i].group = has_start ? ngroups++ : g;
	}
	return ngroups;
}

/* --- one object ---------------------------------------------------------------------- */

/*
 * Open the file behind mapping m: map_files works for deleted files and
 * across mount namespaces but needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE);
 * without it, try the path inside the target's root, then our own.
 */
static int open_mapped_file(pid_t pid, const struct mapping *m, char **open_path, int *fd,
                            Elf **elf)
{
	size_t len = strlen(m->path), sl = strlen(DELETED_SUFFIX);
	int deleted = len > sl && !strcmp(m->path + len - sl, DELETED_SUFFIX);
	char *tries[3] = { NULL, NULL, NULL };
	int rc = -ENOENT;

	if (asprintf(&tries[0], "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, m->start,
	             m->end) < 0)
		return -ENOMEM;
	if (!deleted) {
		if (asprintf(&tries[1], "/proc/%d/root%s", (int)pid, m->path) < 0)
			tries[1] = NULL;
		tries[2] = strdup(m->path);
	}
	for (int i = 0; i < 3; i++) {
		if (!tries[i])
			continue;
		rc = xs_obj_elf_open(tries[i], fd, elf);
		if (rc == 0) {
			*open_path = tries[i];
			tries[i] = NULL;
			break;
		}
		if (rc == -ENOEXEC) /* it is there, just not ELF */
			break;
	}
	for (int i = 0; i < 3; i++)
		free(tries[i]);
	return rc;
}

/* The mapping of this group at a file offset (lowest address), or NULL. */
static const struct mapping *group_mapping_at(const struct mapping *maps, size_t n, size_t g,
                                              uint64_t offset)
{
	for (size_t i = 0; i < n; i++)
		if (maps[i].group == g && maps[i].offset == offset)
			return &maps[i];
	return NULL;
}

/*
 * Bias, extent and PT_DYNAMIC from the program headers. The first PT_LOAD is
 * mapped at bias + its vaddr rounded down to a page, from its file offset
 * rounded down the same way: find that mapping, which also proves the file
 * was loaded as a program and not merely mmap'ed.
 */
static int object_layout(Elf *elf, const struct mapping *maps, size_t n, struct cand *c, size_t g)
{
	uint64_t page = xs_page_size(), top = 0;
	const struct mapping *m0 = NULL;
	size_t nph;
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh) || gelf_getclass(elf) != ELFCLASS64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type == PT_LOAD && !m0) {
			m0 = group_mapping_at(maps, n, g, ph.p_offset & ~(page - 1));
			if (!m0)
				return -ENOEXEC;
			c->obj.bias = m0->start - (ph.p_vaddr & ~(page - 1));
		}
		if (ph.p_type == PT_LOAD && ph.p_vaddr + ph.p_memsz > top)
			top = ph.p_vaddr + ph.p_memsz;
		if (ph.p_type == PT_DYNAMIC) {
			c->dyn_addr = ph.p_vaddr;
			c->dyn_size = ph.p_memsz;
		}
	}
	if (!m0 || (eh.e_type == ET_EXEC && c->obj.bias != 0))
		return -ENOEXEC;
	if (c->dyn_addr)
		c->dyn_addr += c->obj.bias;
	c->obj.start = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (maps[i].group != g)
			continue;
		if (maps[i].start < c->obj.start)
			c->obj.start = maps[i].start;
		if (maps[i].end > c->obj.end)
			c->obj.end = maps[i].end;
	}
	/* .bss past the file's last page is an anonymous mapping: it is ours too. */
	top = XS_ALIGN_UP(top + c->obj.bias, page);
	if (top > c->obj.end)
		c->obj.end = top;
	return 0;
}

/* Fill candidate c from group g; -ENOEXEC (or an open error) means "not an object". */
static int examine_group(pid_t pid, const struct mapping *maps, size_t n, size_t g, struct cand *c)
{
	const struct mapping *first = NULL;
	Elf *elf = NULL;
	int fd = -1, rc;

	/* Prefer the mapping of file offset 0, else the lowest offset. */
	for (size_t i = 0; i < n; i++)
		if (maps[i].group == g && (!first || maps[i].offset < first->offset))
			first = &maps[i];
	rc = open_mapped_file(pid, first, &c->obj.open_path, &fd, &elf);
	if (rc)
		return rc;
	rc = object_layout(elf, maps, n, c, g);
	if (!rc) {
		xs_obj_elf_build_id(elf, &c->obj.build_id); /* absent: len 0 */
		c->obj.path = strdup(first->path);
		c->obj.pid = pid;
		c->obj.symtab = xs_symtab_new(pid);
		if (!c->obj.path || !c->obj.symtab)
			rc = -ENOMEM;
	}
	xs_obj_elf_close(fd, elf);
	return rc;
}

/* --- main executable and global scope ------------------------------------------------ */

/* AT_ENTRY from /proc/<pid>/auxv, 0 if unknown. */
static uint64_t read_entry(pid_t pid)
{
	char fname[64];
	uint64_t v[2], entry = 0;
	FILE *f;

	snprintf(fname, sizeof(fname), "/proc/%d/auxv", (int)pid);
	f = fopen(fname, "re");
	if (!f)
		return 0;
	while (fread(v, sizeof(v), 1, f) == 1 && v[0] != AT_NULL)
		if (v[0] == AT_ENTRY)
			entry = v[1];
	fclose(f);
	return entry;
}

/* The executable: it holds AT_ENTRY; else the one /proc/<pid>/exe names. */
static struct cand *find_main(pid_t pid, struct cand *c, size_t n)
{
	uint64_t entry = read_entry(pid);
	char fname[64], exe[4096];
	ssize_t len;

	for (size_t i = 0; entry && i < n; i++)
		if (c[i].ok && entry >= c[i].obj.start && entry < c[i].obj.end)
			return &c[i];
	snprintf(fname, sizeof(fname), "/proc/%d/exe", (int)pid);
	len = readlink(fname, exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0'; /* carries " (deleted)" exactly as maps does */
	for (size_t i = 0; i < n; i++)
		if (c[i].ok && !strcmp(c[i].obj.path, exe))
			return &c[i];
	return NULL;
}

/* r_debug address from the executable's DT_DEBUG (0: static, or not yet set). */
static uint64_t read_r_debug(pid_t pid, const struct cand *main)
{
	size_t size = main->dyn_size < MAX_DYNAMIC ? main->dyn_size : MAX_DYNAMIC;
	Elf64_Dyn *dyn;
	uint64_t addr = 0;

	if (!main->dyn_addr || size < sizeof(*dyn))
		return 0;
	dyn = malloc(size);
	if (!dyn || xs_proc_read(pid, main->dyn_addr, dyn, size)) {
		free(dyn);
		return 0;
	}
	for (size_t i = 0; i < size / sizeof(*dyn) && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_DEBUG)
			addr = dyn[i].d_un.d_ptr;
	free(dyn);
	return addr;
}

/*
 * Rank objects by their place in the link map (struct r_debug's r_map list).
 * An entry is matched by its l_ld (the runtime _DYNAMIC, inside exactly one
 * object) and, failing that, by l_addr == bias. Objects loaded by
 * dlopen(RTLD_LOCAL) are on the list too although they are not in the global
 * scope; like the rest of xsplice we treat the whole list as the scope.
 */
static void rank_by_link_map(pid_t pid, struct cand *c, size_t n, const struct cand *main)
{
	uint64_t rdebug = read_r_debug(pid, main), lm[2], ent[4];
	size_t pos = 1;

	/* struct r_debug { int r_version; struct link_map *r_map; ... } */
	if (!rdebug || xs_proc_read(pid, rdebug, lm, sizeof(lm)))
		return;
	/* struct link_map { l_addr, l_name, l_ld, l_next, ... } */
	for (uint64_t at = lm[1]; at && pos <= MAX_LINK_MAP; pos++) {
		struct cand *hit = NULL;

		if (xs_proc_read(pid, at, ent, sizeof(ent)))
			return;
		for (size_t i = 0; i < n && !hit; i++)
			if (c[i].ok && ent[2] >= c[i].obj.start && ent[2] < c[i].obj.end)
				hit = &c[i];
		for (size_t i = 0; i < n && !hit; i++)
			if (c[i].ok && c[i].obj.bias == ent[0] && &c[i] != main)
				hit = &c[i];
		if (hit && hit != main && hit->rank > MAX_LINK_MAP)
			hit->rank = pos;
		at = ent[3];
	}
}

static int by_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Executable first, then link-map order, then anything else in address order. */
static void order_scope(pid_t pid, struct cand *c, size_t n)
{
	struct cand *main = find_main(pid, c, n);
	int had_message = xs_error_message()[0] != '\0';

	for (size_t i = 0; i < n; i++)
		c[i].rank = MAX_LINK_MAP + 1 + i;
	if (!main) {
		xs_debug("pid %d: no object holds the entry point: no executable found", (int)pid);
	} else {
		main->obj.is_main = true;
		main->rank = 0;
		rank_by_link_map(pid, c, n, main);
	}
	/* A failed read of the link map only costs us the order: forget its message. */
	if (!had_message)
		xs_error_clear();
	qsort(c, n, sizeof(*c), by_rank);
}

/* --- public -------------------------------------------------------------------------- */

static void free_object(struct xs_object *o)
{
	free(o->path);
	free(o->open_path);
	xs_symtab_free(o->symtab);
}

static int build_list(pid_t pid, struct cand *c, size_t n, struct xs_objects **out)
{
	struct xs_objects *objs = calloc(1, sizeof(*objs));
	size_t k = 0;

	if (objs)
		objs->v = calloc(n ? n : 1, sizeof(*objs->v));
	if (!objs || !objs->v) {
		free(objs);
		return xs_fail(-ENOMEM, "pid %d: out of memory listing its objects", (int)pid);
	}
	objs->pid = pid;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].ok)
			continue;
		objs->v[k++] = c[i].obj;
		memset(&c[i].obj, 0, sizeof(c[i].obj)); /* moved */
	}
	objs->n = k;
	*out = objs;
	return 0;
}

int xs_objects_scan(pid_t pid, struct xs_objects **out)
{
	struct xs_maps *all = NULL;
	struct mapping *maps = NULL;
	struct cand *c = NULL;
	size_t nmaps = 0, ng = 0;
	int rc;

	*out = NULL;
	rc = xs_maps_read(pid, &all) ?: file_maps(pid, all, &maps, &nmaps);
	if (rc) {
		xs_maps_free(all);
		return rc;
	}
	ng = group_maps(maps, nmaps);
	c = calloc(ng ? ng : 1, sizeof(*c));
	if (!c) {
		rc = xs_fail(-ENOMEM, "pid %d: out of memory listing its objects", (int)pid);
		goto out;
	}
	for (size_t g = 0; g < ng; g++) {
		rc = examine_group(pid, maps, nmaps, g, &c[g]);
		if (rc == -ENOMEM) {
			rc = xs_fail(rc, "pid %d: out of memory reading its objects", (int)pid);
			goto out;
		}
		c[g].ok = rc == 0;
		if (rc)
			xs_debug("pid %d: skipping mapped file (not a loaded ELF object): rc %d",
			         (int)pid, rc);
	}
	rc = 0;
	order_scope(pid, c, ng);
	rc = build_list(pid, c, ng, out);
out:
	for (size_t g = 0; c && g < ng; g++)
		free_object(&c[g].obj);
	free(c);
	free(maps);
	xs_maps_free(all);
	return rc;
}

void xs_objects_free(struct xs_objects *objs)
{
	if (!objs)
		return;
	for (size_t i = 0; i < objs->n; i++)
		free_object(&objs->v[i]);
	free(objs->v);
	free(objs);
}

int xs_object_open_file(const char *path, struct xs_object **out)
{
	struct xs_object *obj = calloc(1, sizeof(*obj));
	GElf_Ehdr eh;
	Elf *elf = NULL;
	int fd = -1, rc;

	*out = NULL;
	if (!obj)
		return xs_fail(-ENOMEM, "%s: out of memory", path);
	rc = xs_obj_elf_open(path, &fd, &elf);
	if (rc)
		rc = xs_fail(rc, rc == -ENOEXEC ? "%s: not an ELF file" : "%s: cannot open", path);
	else if (!gelf_getehdr(elf, &eh) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		rc = xs_fail(-ENOEXEC, "%s: not an executable or shared library", path);
	if (!rc) {
		xs_obj_elf_build_id(elf, &obj->build_id); /* absent: len 0 */
		obj->path = strdup(path);
		obj->open_path = strdup(path);
		obj->symtab = xs_symtab_new(0);
		obj->end = UINT64_MAX;
		if (!obj->path || !obj->open_path || !obj->symtab)
			rc = xs_fail(-ENOMEM, "%s: out of memory", path);
	}
	xs_obj_elf_close(fd, elf);
	if (rc)
		xs_object_free(obj);
	else
		*out = obj;
	return rc;
}

void xs_object_free(struct xs_object *obj)
{
	if (!obj)
		return;
	free_object(obj);
	free(obj);
}

struct xs_object *xs_objects_by_build_id(struct xs_objects *objs, const struct xs_build_id *id)
{
	if (!objs || !id || !id->len)
		return NULL;
	for (size_t i = 0; i < objs->n; i++)
		if (objs->v[i].build_id.len == id->len &&
		    !memcmp(objs->v[i].build_id.bytes, id->bytes, id->len))
			return &objs->v[i];
	return NULL;
}

struct xs_object *xs_objects_by_addr(struct xs_objects *objs, uint64_t addr)
{
	if (!objs)
		return NULL;
	for (size_t i = 0; i < objs->n; i++)
		if (addr >= objs->v[i].start && addr < objs->v[i].end)
			return &objs->v[i];
	return NULL;
}
