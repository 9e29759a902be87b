/* SPDX-License-Identifier: MIT */
/*
 * The CLI of this build (../bin/xsplice beside tests/) is built hardened: a
 * PIE executable (ET_DYN with PT_INTERP), RELRO (PT_GNU_RELRO) bound now
 * (DT_FLAGS BIND_NOW), a stack protector (__stack_chk_fail referenced) and,
 * except under ASan, which replaces the checked functions, _FORTIFY_SOURCE
 * (__*_chk functions referenced).
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

struct facts {
	bool dyn, interp, relro, bind_now, stack_chk, asan;
	int fortified; /* __*_chk functions referenced, __stack_chk_fail aside */
	char chk_example[64];
};

static void read_dynamic(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct facts *f)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	for (size_t k = 0; d && k < sh->sh_size / sh->sh_entsize; k++) {
		GElf_Dyn dyn;

		if (gelf_getdyn(d, (int)k, &dyn) && dyn.d_tag == DT_FLAGS &&
		    (dyn.d_un.d_val & DF_BIND_NOW))
			f->bind_now = true;
	}
	(void)elf;
}

static void read_dynsym(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct facts *f)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	for (size_t k = 0; d && k < sh->sh_size / sh->sh_entsize; k++) {
		GElf_Sym sym;
		const char *name;
		size_t len;

		if (!gelf_getsym(d, (int)k, &sym) || sym.st_shndx != SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		len = strlen(name);
		if (!strcmp(name, "__stack_chk_fail"))
			f->stack_chk = true;
		else if (!strncmp(name, "__asan_", 7))
			f->asan = true;
		else if (len > 6 && !strncmp(name, "__", 2) && !strcmp(name + len - 4, "_chk")) {
			if (!f->fortified++)
				snprintf(f->chk_example, sizeof(f->chk_example), "%s", name);
		}
	}
}

static int read_facts(const char *path, struct facts *f)
{
	size_t nphdr = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *elf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nphdr)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -1;
	}
	f->dyn = eh.e_type == ET_DYN;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		f->interp |= ph.p_type == PT_INTERP;
		f->relro |= ph.p_type == PT_GNU_RELRO;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize)
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			read_dynamic(elf, scn, &sh, f);
		else if (sh.sh_type == SHT_DYNSYM)
			read_dynsym(elf, scn, &sh, f);
	}
	elf_end(elf);
	close(fd);
	return 0;
}

int main(void)
{
	char self[PATH_MAX], cli[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct facts f = { 0 };

	if (n <= 0) {
		check(false, "readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	/* <build>/tests/test_hardening -> <build>/bin/xsplice */
	snprintf(cli, sizeof(cli), "%s/../bin/xsplice", dirname(self));
	if (read_facts(cli, &f)) {
		check(false, "read %s as ELF (is the CLI built?)", cli);
		return 1;
	}
	check(f.dyn && f.interp, "%s is a PIE executable (ET_DYN with PT_INTERP)", cli);
	check(f.relro, "PT_GNU_RELRO present (-z relro)");
	check(f.bind_now, "DT_FLAGS has BIND_NOW (-z now)");
	check(f.stack_chk, "__stack_chk_fail referenced (-fstack-protector-strong)");
	if (f.asan)
		printf(
		    "skip - _FORTIFY_SOURCE: an ASan build, whose interceptors do those checks\n");
	else
		check(f.fortified > 0,
		      "__*_chk functions referenced (_FORTIFY_SOURCE): %d, e.g. %s", f.fortified,
		      f.fortified ? f.chk_example : "none");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
