/* SPDX-License-Identifier: MIT */
/*
 * Far-call stubs: a payload placed near the object it patches may still call
 * into a library more than 2 GiB away; PLT32 calls then go through these.
 */
#include <elf.h>
#include <string.h>

#include "arch.h"

bool xs_arch_reloc_is_branch(uint32_t type)
{
	return type == R_X86_64_PLT32;
}

void xs_arch_encode_stub(uint64_t to, unsigned char stub[XS_ARCH_STUB_SIZE])
{
	/* jmp *0(%rip); .quad to; then int3 padding */
	static const unsigned char jmp_indirect[6] = { 0xff, 0x25, 0, 0, 0, 0 };

	memset(stub, 0xcc, XS_ARCH_STUB_SIZE);
	memcpy(stub, jmp_indirect, sizeof(jmp_indirect));
	memcpy(stub + sizeof(jmp_indirect), &to, sizeof(to));
}
