/* SPDX-License-Identifier: MIT */
/*
 * Far-call veneers: a payload placed near the object it patches may still call
 * into a library more than 2 GiB away; PLT32 calls then go through these veneers.
 */
#include <elf.h>
#include <string.h>

#include "arch.h"

bool xs_arch_reloc_is_branch(uint32_t type)
{
	return type == R_X86_64_PLT32;
}

void xs_arch_encode_veneer(uint64_t to, unsigned char veneer[XS_ARCH_VENEER_SIZE])
{
	/* jmp *0(%rip); .quad to; then int3 padding */
	static const unsigned char jmp_indirect[6] = { 0xff, 0x25, 0, 0, 0, 0 };

	memset(veneer, 0xcc, XS_ARCH_VENEER_SIZE);
	memcpy(veneer, jmp_indirect, sizeof(jmp_indirect));
	memcpy(veneer + sizeof(jmp_indirect), &to, sizeof(to));
}
