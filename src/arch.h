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
/* What a relocation refers to, for the builder's comparisons. */
enum xs_arch_reloc_kind {
	XS_ARCH_RELOC_OTHER = 0, /* TLS, GOT-relative offsets, sizes, dynamic ones */
	XS_ARCH_RELOC_DATA,      /* the symbol's address, absolute or PC-relative */
	XS_ARCH_RELOC_BRANCH,    /* a call or jump to the symbol (through a PLT if need be) */
	XS_ARCH_RELOC_GOT,       /* the symbol through a GOT slot holding its address */
};
struct xs_arch_reloc_info {
	const char *name;    /* "R_X86_64_PC32" */
	unsigned char width; /* bytes of the field it writes; 0 when not known */
	unsigned char kind;  /* enum xs_arch_reloc_kind */
	bool pc_relative;    /* counted from the place (P) */
	bool sign_extended;  /* an absolute field narrower than a pointer, sign-extended */
	/* In code: bytes from the field to the PC it is counted from, as compilers
	 * write the addend (so addend + pc_bias is the offset in the symbol). */
	unsigned char pc_bias;
	/* Bytes before the field a linker may rewrite when it relaxes the
	 * instruction (a GOT load made a lea). */
	unsigned char relax_before;
};
/* Facts about any type, supported or not; never NULL (width 0 and kind
 * OTHER for a type not known). */
const struct xs_arch_reloc_info *xs_arch_reloc_info(uint32_t type);
/* Bytes from a PC-relative field, field_off bytes into an instruction of
 * insn_len bytes, to the PC it is counted from (x86-64: the instruction's end). */
int64_t xs_arch_insn_pc_bias(unsigned insn_len, unsigned field_off);
/* Where a linked field of this type leads (the builder's reading of the
 * running binary): the field's value, or for a PC-relative one the address
 * it reaches counted from field_addr + pc_bias. The field holds width bytes. */
uint64_t xs_arch_reloc_read(uint32_t type, const unsigned char *field, uint64_t field_addr,
                            int64_t pc_bias);

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

/* --- decoding (the builder's match of a build with the running binary) ---------- */
struct xs_arch_insn {
	unsigned len;
	unsigned op;     /* the operation, the same for every encoding of it
			   * (jmp rel8 and jmp rel32; each jcc condition its own) */
	bool nop;        /* alignment padding: does nothing */
	bool branch;     /* a direct jump or call, to target */
	uint64_t target; /* absolute, from the addr given to xs_arch_decode */
	bool pc_mem;     /* has a PC-relative memory operand, at mem */
	uint64_t mem;    /* absolute, as target */
	char text[200];  /* "jmp 0x1210", for messages */
};
struct xs_arch_dec;
int xs_arch_dec_open(struct xs_arch_dec **out);
void xs_arch_dec_close(struct xs_arch_dec *d);
/* The instruction at code (len bytes available, at address addr); -EILSEQ
 * when it is not one. */
int xs_arch_decode(struct xs_arch_dec *d, const unsigned char *code, size_t len, uint64_t addr,
                   struct xs_arch_insn *out);

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
/* The trap instruction (int3), the breakpoint of run-until-return. */
extern const unsigned char xs_arch_trap_insn[XS_ARCH_TRAP_SIZE];
/* The system-call instruction bytes. */
extern const unsigned char xs_arch_syscall_insn[XS_ARCH_SYSCALL_SIZE];

/* --- code run in a thread that must survive our death ------------------------------ */
/*
 * If xsplice dies, the kernel lets each thread run on from the registers it
 * has, whatever xsplice last set. So every register set xsplice gives a
 * thread leads, by the thread's own execution, to the signal return
 * (rt_sigreturn) through a frame on its stack that holds the thread's own
 * state (registers, FPU and vector state, signal mask), as a signal
 * handler's return does: the kernel then puts the thread back itself.
 */
struct xs_arch_seq {
	const unsigned char *bytes;
	size_t len;
};
/* "System call, then return": borrowed from the target's text to run system calls. */
extern const struct xs_arch_seq xs_arch_syscall_ret;
/* The signal return, in each encoding looked for in the target's text. */
extern const struct xs_arch_seq xs_arch_sigreturn_seqs[];
extern const size_t xs_arch_nsigreturn_seqs;
/*
 * Where injected function calls return (written into a payload's text): it
 * hands the result over at a harmless system call (number XS_ARCH_STUB_NR,
 * its stops at pc stub + XS_ARCH_STUB_STOP), then does the signal return.
 */
extern const unsigned char xs_arch_return_stub[XS_ARCH_STUB_SIZE];

/* A signal frame on a thread's stack (xs_arch_frame_make fills it in). */
struct xs_arch_frame {
	uint64_t base; /* its lowest address: the return slot */
	size_t len;    /* bytes from base */
	uint64_t mask; /* address of its signal mask (XS_ARCH_SIGSET_SIZE bytes) */
};
/*
 * Lay out, below the red zone of a thread stopped with registers r, a frame
 * that puts it back as it would go on now (an interrupted system call
 * restarted), with FPU state fpu (as PTRACE_GETREGSET gives it for
 * XS_ARCH_FPU_NOTE, or XS_ARCH_FPU_NOTE_LEGACY) and signal mask `mask`; its
 * return slot holds ret. *bytes: malloc'd, f->len bytes to write at f->base.
 * -EINVAL: FPU state in a form we do not know; -ENOMEM.
 */
int xs_arch_frame_make(const xs_regs *r, const void *fpu, size_t fpu_len, uint64_t mask,
                       uint64_t ret, unsigned char **bytes, struct xs_arch_frame *f);

/* --- registers --------------------------------------------------------------- */
uint64_t xs_arch_pc(const xs_regs *r);
void xs_arch_set_pc(xs_regs *r, uint64_t pc);
uint64_t xs_arch_sp(const xs_regs *r);
/* PC after the trap instruction at addr executed. */
uint64_t xs_arch_pc_after_trap(uint64_t trap_addr);
/*
 * Prepare regs to run system call nr at the "system call, then return"
 * sequence at insn_addr, returning through frame f's return slot.
 */
void xs_arch_setup_syscall(xs_regs *r, uint64_t insn_addr, long nr, const uint64_t args[6],
                           const struct xs_arch_frame *f);
/* Result of a system call that just ran (a -errno on failure). */
long xs_arch_syscall_result(const xs_regs *r);
/* Number of the system call at a system-call stop. */
long xs_arch_syscall_nr(const xs_regs *r);
/*
 * Prepare regs to call fn(args...), returning to the address in frame f's
 * return slot (the stack pointer is that slot: it is below the red zone and
 * aligned for a call). -E2BIG: too many arguments; -EINVAL: a slot not so aligned.
 */
int xs_arch_setup_call(xs_regs *r, uint64_t fn, const uint64_t *args, unsigned nargs,
                       const struct xs_arch_frame *f);
/* Return value of an injected call, at the return stub's system-call stops. */
uint64_t xs_arch_call_result(const xs_regs *r);
/* Prepare regs to do the signal return through frame f, now, at the sequence at pc. */
void xs_arch_setup_sigreturn(xs_regs *r, uint64_t pc, const struct xs_arch_frame *f);
int xs_arch_dwarf_regs(const xs_regs *r, uint64_t *dwarf,
                       unsigned max); /* DWARF-numbered regs: count or -ENOSPC */

/* --- coroutines (coroutines.c) ------------------------------------------------- */
/* Bytes at the start of a ucontext_t (the C library's, as getcontext and
 * swapcontext save a coroutine) that xs_arch_ucontext_regs reads. */
size_t xs_arch_ucontext_len(void);
/* The registers such a saved context resumes with, and its stack (uc_stack,
 * as makecontext needs it set; 0 when not). */
void xs_arch_ucontext_regs(const unsigned char *uc, xs_regs *r, uint64_t *stack,
                           uint64_t *stack_len);

/* --- this CPU ------------------------------------------------------------------- */
/* One step of a spin-wait: tell the CPU we are waiting for another one. */
void xs_arch_relax(void);

#endif
