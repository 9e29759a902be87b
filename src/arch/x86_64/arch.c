/* SPDX-License-Identifier: MIT */
/*
 * x86-64 instruction facts for patching: the endbr64 to step over, the
 * 5-byte jmp rel32 we write at function entries, no-op fill, int3, syscall;
 * the sequences injected code runs through; and pause, for our spin-waits.
 */
#include "arch.h"

#include <errno.h>
#include <string.h>

const unsigned char xs_arch_trap_insn[XS_ARCH_TRAP_SIZE] = { 0xcc };             /* int3 */
const unsigned char xs_arch_syscall_insn[XS_ARCH_SYSCALL_SIZE] = { 0x0f, 0x05 }; /* syscall */

static const unsigned char syscall_ret[] = { 0x0f, 0x05, 0xc3 }; /* syscall; ret */
const struct xs_arch_seq xs_arch_syscall_ret = { syscall_ret, sizeof(syscall_ret) };

/* glibc's and musl's __restore_rt, Go's sigreturn: mov $15, %rax; syscall. */
static const unsigned char sigreturn_rax[] = {
	0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05
};
static const unsigned char sigreturn_eax[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
const struct xs_arch_seq xs_arch_sigreturn_seqs[] = {
	{ sigreturn_rax, sizeof(sigreturn_rax) },
	{ sigreturn_eax, sizeof(sigreturn_eax) },
};
const size_t xs_arch_nsigreturn_seqs =
    sizeof(xs_arch_sigreturn_seqs) / sizeof(xs_arch_sigreturn_seqs[0]);

/*
 * The callee returns here with its result in %rax and %rsp just above the
 * frame's return slot. getpid changes nothing: its system-call stops are
 * where a live xsplice takes the result (copied to %rdi, which getpid
 * leaves alone) and parks the thread; without xsplice the thread goes on
 * into the signal return, which never comes back.
 */
const unsigned char xs_arch_return_stub[XS_ARCH_STUB_SIZE] = {
	0x48, 0x89, 0xc7,             /* mov %rax, %rdi */
	0xb8, 0x27, 0x00, 0x00, 0x00, /* mov $39, %eax (getpid) */
	0x0f, 0x05,                   /* syscall: pc XS_ARCH_STUB_STOP at its stops */
	0xb8, 0x0f, 0x00, 0x00, 0x00, /* mov $15, %eax (rt_sigreturn) */
	0x0f, 0x05,                   /* syscall */
};

static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

/*
 * With IBT an indirect call must land on endbr64, so the jump goes after it
 * and the function stays a valid indirect-branch target.
 */
unsigned xs_arch_patch_offset(const unsigned char *entry, size_t len)
{
	if (len >= sizeof(endbr64) && !memcmp(entry, endbr64, sizeof(endbr64)))
		return sizeof(endbr64);
	return 0;
}

/* jmp rel32 (e9); rel is counted from the end of the 5-byte instruction. */
int xs_arch_encode_jump(uint64_t from, uint64_t to, unsigned char insn[XS_ARCH_PATCH_SIZE])
{
	int64_t rel = (int64_t)(to - (from + XS_ARCH_PATCH_SIZE));

	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	insn[0] = 0xe9;
	for (int i = 0; i < 4; i++)
		insn[1 + i] = (unsigned char)((uint64_t)rel >> (8 * i));
	return 0;
}

bool xs_arch_decode_jump(const unsigned char *insn, size_t len, uint64_t from, uint64_t *to)
{
	int32_t rel = 0;

	if (len != XS_ARCH_PATCH_SIZE || insn[0] != 0xe9)
		return false;
	for (int i = 0; i < 4; i++)
		rel |= (int32_t)((uint32_t)insn[1 + i] << (8 * i));
	*to = from + XS_ARCH_PATCH_SIZE + (int64_t)rel;
	return true;
}

/* The Intel SDM's recommended multi-byte NOPs (nop / 66 nop / 0f 1f /0 forms). */
static const unsigned char nops[9][9] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void xs_arch_encode_nops(unsigned char *buf, size_t len)
{
	while (len) {
		size_t n = len < 9 ? len : 9;

		memcpy(buf, nops[n - 1], n);
		buf += n;
		len -= n;
	}
}

/*
 * 2 GiB minus one page, each way. rel32 reaches [-2^31, 2^31 - 1] from the
 * end of the jmp; the page of margin absorbs those 5 bytes and the
 * asymmetry, so |to - from| <= this always encodes.
 */
uint64_t xs_arch_jump_range(void)
{
	return 0x80000000ull - 0x1000;
}

void xs_arch_relax(void)
{
	__builtin_ia32_pause();
}
