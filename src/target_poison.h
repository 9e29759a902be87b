/* SPDX-License-Identifier: MIT */
/*
 * Include this in every source file outside the target door (src/target*.c,
 * src/seccomp.c): any use of ptrace or process_vm_writev then fails to build.
 * The headers come first so that only uses, not their declarations, trip it.
 */
#ifndef XS_TARGET_POISON_H
#define XS_TARGET_POISON_H

#include <sys/ptrace.h>
#include <sys/uio.h>

#pragma GCC poison ptrace process_vm_writev

#endif
