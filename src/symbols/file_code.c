/* SPDX-License-Identifier: MIT */
/*
 * The code an ELF file on disk holds at a link-time address: the bytes its
 * executable PT_LOAD segment maps there, as the process runs them (what
 * `xsplice cc` records as a payload's expected bytes).
 */
#include <errno.h>
#include <unistd.h>

#include "common/error.h"
#include "symbols/objects_priv.h"

int xs_file_code(const char *path, uint64_t vaddr, unsigned char *buf, size_t len)
{
	size_t nph = 0;
	Elf *elf = NULL;
	int fd = -1, rc = xs_obj_elf_open(path, &fd, &elf);

	if (rc)
		return xs_fail(rc, rc == -ENOEXEC ? "%s: not an ELF file" : "%s: cannot open",
		               path);
	rc = -ENOENT;
	if (elf_getphdrnum(elf, &nph))
		nph = 0;
	for (size_t i = 0; i < nph && rc == -ENOENT; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) ||
		    vaddr < ph.p_vaddr || vaddr - ph.p_vaddr > ph.p_filesz ||
		    len > ph.p_filesz - (vaddr - ph.p_vaddr))
			continue;
		if (pread(fd, buf, len, (off_t)(ph.p_offset + (vaddr - ph.p_vaddr))) ==
		    (ssize_t)len)
			rc = 0;
		else
			rc = xs_fail(-EIO, "%s: cannot read %zu bytes of code at 0x%llx", path, len,
			             (unsigned long long)vaddr);
	}
	if (rc == -ENOENT)
		rc = xs_fail(rc, "%s: no code at 0x%llx (%zu bytes) in its executable segments",
		             path, (unsigned long long)vaddr, len);
	xs_obj_elf_close(fd, elf);
	return rc;
}
