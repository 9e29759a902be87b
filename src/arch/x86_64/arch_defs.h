/* SPDX-License-Identifier: MIT */
/* x86-64 constants and register type behind src/arch.h. */
#ifndef XS_ARCH_DEFS_H
#define XS_ARCH_DEFS_H

#include <linux/audit.h>
#include <sys/user.h>

typedef struct user_regs_struct xs_regs;

#define XS_ARCH_NAME "x86_64"
#define XS_ARCH_AUDIT AUDIT_ARCH_X86_64 /* seccomp_data.arch */
#define XS_ARCH_PATCH_SIZE 5    /* jmp rel32 */
#define XS_ARCH_TRAP_SIZE 1     /* int3 */
#define XS_ARCH_SYSCALL_SIZE 2  /* syscall */
#define XS_ARCH_PTR_SIZE 8
#define XS_ARCH_VENEER_SIZE 16    /* jmp *0(%rip); .quad target; pad */
#define XS_ARCH_RED_ZONE 128
#define XS_ARCH_DWARF_SP 7      /* %rsp in the DWARF register numbering */
#define XS_ARCH_DWARF_PC 16     /* return address column */
/* perf's bp_len for an instruction breakpoint (sizeof(long) on x86). It
 * reports before the instruction runs, with the PC at it, and the CPU's
 * resume flag set so that going on does not report it again. */
#define XS_ARCH_EXEC_BREAK_LEN 8

#endif
