/* SPDX-License-Identifier: MIT */
/*
 * Forced on every file outside the target door (src/target/)
 * by the Makefile (-include): a call of ptrace or process_vm_{read,write}v
 * there fails to build, so the target is stopped, read and written only
 * through the door (target.h). The headers come first so that only uses, not
 * their declarations, trip it.
 */
#ifndef XS_TARGET_POISON_H
#define XS_TARGET_POISON_H

#include <sys/ptrace.h>
#include <sys/uio.h>

#pragma GCC poison ptrace process_vm_writev process_vm_readv

#endif
