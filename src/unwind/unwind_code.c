/* SPDX-License-Identifier: MIT */
/*
 * Payload code (anonymous memory) as a libdwfl module: backed by a small
 * in-memory ELF that holds its relocated .eh_frame at the address it has in
 * the target, checked by libdw before it is added.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/page.h"
#include "unwind/unwind_int.h"

#define MAX_EH_LEN (64u << 20)

static const char shstrtab[] = "\0.eh_frame\0.shstrtab"; /* names at 1 and 11 */

/*
 * An ELF image for code at [start, end) whose .eh_frame lies at eh_addr:
 * one PT_LOAD at start (so dwfl's load bias is 0) and an .eh_frame section at
 * its target address (so pc-relative pointers in it decode as in the target).
 */
static unsigned char *code_image(const struct xs_unwinder *u, uint64_t start, uint64_t end,
                                 uint64_t eh_addr, const unsigned char *eh, size_t eh_len,
                                 size_t *len)
{
	size_t eh_off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	size_t str_off = eh_off + eh_len;
	size_t sh_off = XS_ALIGN_UP(str_off + sizeof(shstrtab), 8);
	unsigned char *img = calloc(1, sh_off + 3 * sizeof(Elf64_Shdr));
	Elf64_Ehdr ehdr = {
		.e_type = ET_DYN,
		.e_machine = u->machine,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = sh_off,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 3,
		.e_shstrndx = 2,
	};
	Elf64_Phdr phdr = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_vaddr = start,
		.p_paddr = start,
		.p_memsz = end - start,
		.p_align = 1,
	};
	Elf64_Shdr shdr[3] = {
		[1] = { .sh_name = 1,
		        .sh_type = SHT_PROGBITS,
		        .sh_flags = SHF_ALLOC,
		        .sh_addr = eh_addr,
		        .sh_offset = eh_off,
		        .sh_size = eh_len,
		        .sh_addralign = 8 },
		[2] = { .sh_name = 11,
		        .sh_type = SHT_STRTAB,
		        .sh_offset = str_off,
		        .sh_size = sizeof(shstrtab),
		        .sh_addralign = 1 },
	};

	if (!img)
		return NULL;
	memcpy(ehdr.e_ident, u->ident, EI_NIDENT);
	ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
	ehdr.e_ident[EI_ABIVERSION] = 0;
	memcpy(img, &ehdr, sizeof(ehdr));
	memcpy(img + sizeof(ehdr), &phdr, sizeof(phdr));
	memcpy(img + eh_off, eh, eh_len);
	memcpy(img + str_off, shstrtab, sizeof(shstrtab));
	memcpy(img + sh_off, shdr, sizeof(shdr));
	*len = sh_off + sizeof(shdr);
	return img;
}

/* Let libdw parse the .eh_frame once: hostile or truncated bytes fail here. */
static int check_eh_frame(const struct xs_code *c, uint64_t eh_addr)
{
	Elf *elf = elf_memory((char *)c->image, c->image_len);
	Elf_Data *data;
	Dwarf_CFI *cfi;
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry entry;
	size_t fdes = 0;
	int r = 0, rc = 0;

	if (!elf)
		return xs_fail(-ENOMEM,
		               "payload code 0x%" PRIx64 ": cannot build its ELF image: %s",
		               c->start, elf_errmsg(-1));
	data = elf_rawdata(elf_getscn(elf, 1), NULL);
	while (data && (r = dwarf_next_cfi(c->image, data, true, off, &next, &entry)) == 0) {
		fdes += !dwarf_cfi_cie_p(&entry);
		off = next;
	}
	cfi = data ? dwarf_getcfi_elf(elf) : NULL;
	if (!data || r < 0 || !cfi)
		rc = xs_fail(-EINVAL,
		             "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64
		             " is malformed near offset %" PRIu64 ": %s",
		             c->start, eh_addr, (uint64_t)off, dwarf_errmsg(-1));
	else if (!fdes)
		rc = xs_fail(-EINVAL,
		             "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64
		             " describes no function",
		             c->start, eh_addr);
	if (cfi)
		dwarf_cfi_end(cfi);
	elf_end(elf);
	return rc;
}

struct overlap {
	uint64_t start, end;
	const char *name;
};

static int find_overlap(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
                        void *arg)
{
	struct overlap *o = arg;
	Dwarf_Addr lo, hi;

	(void)userdata;
	(void)start;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	if (lo < o->end && o->start < hi) {
		o->name = name;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static int check_args(struct xs_unwinder *u, uint64_t start, uint64_t end, uint64_t eh_addr,
                      const unsigned char *eh, size_t eh_len)
{
	struct overlap o = { start, end, NULL };

	if (start >= end)
		return xs_fail(-EINVAL, "payload code 0x%" PRIx64 "-0x%" PRIx64 ": empty range",
		               start, end);
	if (!eh || !eh_len || eh_len > MAX_EH_LEN || eh_addr + eh_len < eh_addr)
		return xs_fail(-EINVAL,
		               "payload code 0x%" PRIx64 ": .eh_frame at 0x%" PRIx64
		               " of %zu bytes is out of bounds",
		               start, eh_addr, eh_len);
	if (u->ident[EI_CLASS] != ELFCLASS64)
		return xs_fail(-EOPNOTSUPP,
		               "pid %d: payload code unwinding supports 64-bit targets only",
		               u->pid);
	dwfl_getmodules(u->dwfl, find_overlap, &o, 0);
	if (o.name)
		return xs_fail(-EEXIST, "payload code 0x%" PRIx64 "-0x%" PRIx64 ": overlaps %s",
		               start, end, o.name);
	return 0;
}

int xs_unwinder_add_code(struct xs_unwinder *u, uint64_t start, uint64_t end, uint64_t eh_addr,
                         const unsigned char *eh, size_t eh_len)
{
	struct xs_code *c;
	char name[64];
	void **userdata;
	Dwarf_Addr bias;
	int rc = check_args(u, start, end, eh_addr, eh, eh_len);

	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->image = code_image(u, start, end, eh_addr, eh, eh_len, &c->image_len))) {
		free(c);
		return xs_fail(
		    -ENOMEM, "payload code 0x%" PRIx64 ": no memory for its %zu bytes of .eh_frame",
		    start, eh_len);
	}
	c->magic = CODE_MAGIC;
	c->start = start;
	c->end = end;
	rc = check_eh_frame(c, eh_addr);
	if (rc)
		goto fail;
	snprintf(name, sizeof(name), "xsplice-code-0x%" PRIx64, start);
	dwfl_report_begin_add(u->dwfl);
	c->mod = dwfl_report_module(u->dwfl, name, start, end);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 || !c->mod) {
		rc = xs_fail(-ENOMEM, "payload code 0x%" PRIx64 ": libdwfl cannot add it: %s",
		             start, dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_module_info(c->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = c;
	c->next = u->code;
	u->code = c;
	/* Load it now rather than during a walk (this may run while stopped). */
	if (!dwfl_module_eh_cfi(c->mod, &bias))
		return xs_fail(-EIO,
		               "payload code 0x%" PRIx64 ": libdwfl cannot use its .eh_frame: %s",
		               start, dwfl_errmsg(-1));
	dwfl_addrmodule(u->dwfl, start);
	return 0;
fail:
	free(c->image);
	free(c);
	return rc;
}
