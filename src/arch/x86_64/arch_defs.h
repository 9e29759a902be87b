/* SPDX-License-Identifier: MIT */
/* x86-64 constants and register type behind src/arch.h. */
#ifndef XS_ARCH_DEFS_H
#define XS_ARCH_DEFS_H

#include <elf.h>
#include <linux/audit.h>
#include <sys/user.h>

typedef struct user_regs_struct xs_regs;

#define XS_ARCH_NAME "x86_64"
#define XS_ARCH_LABEL "x86-64"       /* in messages */
#define XS_ARCH_ELF_CLASS ELFCLASS64 /* of objects and payloads */
#define XS_ARCH_ELF_DATA ELFDATA2LSB
#define XS_ARCH_AUDIT AUDIT_ARCH_X86_64    /* seccomp_data.arch */
#define XS_ARCH_PATCH_SIZE 5               /* jmp rel32 */
#define XS_ARCH_TRAP_SIZE 1                /* int3 */
#define XS_ARCH_SYSCALL_SIZE 2             /* syscall */
#define XS_ARCH_STUB_SIZE 17               /* the return stub (arch.c) */
#define XS_ARCH_STUB_STOP 10               /* pc at its getpid's stops, from its start */
#define XS_ARCH_STUB_NR 39                 /* getpid: the stub's system call */
#define XS_ARCH_SIGSET_SIZE 8              /* the kernel's sigset_t: 64 signals */
#define XS_ARCH_FPU_NOTE NT_X86_XSTATE     /* FPU and vector state, XSAVE layout */
#define XS_ARCH_FPU_NOTE_LEGACY NT_PRFPREG /* FXSAVE layout, for CPUs without XSAVE */
#define XS_ARCH_FPU_MAX 65536              /* above any XSAVE area (AMX takes ~11 KiB) */
#define XS_ARCH_PTR_SIZE 8
#define XS_ARCH_RELOC_PTR R_X86_64_64 /* an absolute pointer (the payload's tables) */
/* gcc's flag for external data through the GOT, not copy relocations
 * (clang's -fno-direct-access-external-data is the same on every arch). */
#define XS_ARCH_GCC_GOT_DATA "-mno-direct-extern-access"
#define XS_ARCH_VENEER_SIZE 16 /* jmp *0(%rip); .quad target; pad */
#define XS_ARCH_RED_ZONE 128
#define XS_ARCH_DWARF_SP 7  /* %rsp in the DWARF register numbering */
#define XS_ARCH_DWARF_PC 16 /* return address column */
/* perf's bp_len for an instruction breakpoint (sizeof(long) on x86). It
 * reports before the instruction runs, with the PC at it, and the CPU's
 * resume flag set so that going on does not report it again. */
#define XS_ARCH_EXEC_BREAK_LEN 8

#endif
