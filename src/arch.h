/* SPDX-License-Identifier: MIT */
/*
 * The hooks every architecture implements (src/arch/<arch>/). Common code
 * reaches instruction, relocation and register details only through here;
 * arch_defs.h (found on the include path of the arch being built) supplies
 * the register type and the constants.
 */
#ifndef XS_ARCH_H
#define XS_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch_defs.h" /* xs_regs, XS_ARCH_PATCH_SIZE, XS_ARCH_TRAP_SIZE, ... */

/* ELF e_machine of payloads and targets this arch accepts. */
unsigned xs_arch_elf_machine(void);

/* --- relocations -------------------------------------------------------------- */
/* Bytes a relocation of this type writes, or -EOPNOTSUPP when not supported. */
int xs_arch_reloc_width(uint32_t type);
/* Name for messages ("R_X86_64_PC32"); never NULL. */
const char *xs_arch_reloc_name(uint32_t type);
/* Needs a GOT slot holding S (GOTPCREL and friends). */
bool xs_arch_reloc_needs_got(uint32_t type);
/* Absolute pointer-sized relocation (how pointers in .xsplice.* tables are relocated). */
bool xs_arch_reloc_is_abs_pointer(uint32_t type);
/*
 * Write the relocated value at loc (a local buffer holding the target bytes
 * at address P). S: symbol value, A: addend, G: address of S's GOT slot (when
 * needed), GOT: base of the payload's GOT. -ERANGE when the value does not fit.
 */
int xs_arch_reloc_apply(uint32_t type, unsigned char *loc, uint64_t P, uint64_t S, int64_t A,
			uint64_t G, uint64_t GOT);

/* Branch relocation (PLT32) that may go through a veneer when out of reach. */
bool xs_arch_reloc_is_branch(uint32_t type);
/* Write an XS_ARCH_VENEER_SIZE-byte veneer that jumps to `to` from anywhere. */
void xs_arch_encode_veneer(uint64_t to, unsigned char veneer[XS_ARCH_VENEER_SIZE]);

/* --- patching ------------------------------------------------------------------- */
/* Bytes to skip at a function entry before the patch (endbr64 on x86-64). */
unsigned xs_arch_patch_offset(const unsigned char *entry, size_t len);
/* Encode the jump from `from` (patch site) to `to`; -ERANGE when out of reach. */
int xs_arch_encode_jump(uint64_t from, uint64_t to, unsigned char insn[XS_ARCH_PATCH_SIZE]);
/* Where the patch jump (len bytes at from, as xs_arch_encode_jump writes it)
 * goes; false if insn is not such a jump. */
bool xs_arch_decode_jump(const unsigned char *insn, size_t len, uint64_t from, uint64_t *to);
/* Fill len bytes with the fewest no-op instructions. */
void xs_arch_encode_nops(unsigned char *buf, size_t len);
/* Reach of the patch jump in bytes, each way. */
uint64_t xs_arch_jump_range(void);
/* The trap instruction (int3) used as a return address and breakpoint. */
extern const unsigned char xs_arch_trap_insn[XS_ARCH_TRAP_SIZE];
/* The system-call instruction bytes, searched for in the target's text. */
extern const unsigned char xs_arch_syscall_insn[XS_ARCH_SYSCALL_SIZE];

/* --- registers --------------------------------------------------------------- */
uint64_t xs_arch_pc(const xs_regs *r);
void xs_arch_set_pc(xs_regs *r, uint64_t pc);
uint64_t xs_arch_sp(const xs_regs *r);
/* PC after the trap instruction at addr executed. */
uint64_t xs_arch_pc_after_trap(uint64_t trap_addr);
/* Prepare regs to run system call nr at the syscall instruction at insn_addr. */
void xs_arch_setup_syscall(xs_regs *r, uint64_t insn_addr, long nr, const uint64_t args[6]);
/* Result of a system call that just ran (a -errno on failure). */
long xs_arch_syscall_result(const xs_regs *r);
/*
 * Prepare regs to call fn(args...) with the return address ret_addr. The new
 * stack pointer stays below the red zone; *slot gets the address where the
 * caller must write ret_addr (XS_ARCH_PTR_SIZE bytes, little-endian).
 */
int xs_arch_setup_call(xs_regs *r, uint64_t fn, const uint64_t *args, unsigned nargs,
		       uint64_t *slot);
/* Return value of a function that just returned. */
uint64_t xs_arch_call_result(const xs_regs *r);
int xs_arch_dwarf_regs(const xs_regs *r, uint64_t *dwarf, unsigned max); /* DWARF-numbered regs: count or -ENOSPC */

/* --- this CPU ------------------------------------------------------------------- */
/* One step of a spin-wait: tell the CPU we are waiting for another one. */
void xs_arch_relax(void);

#endif
