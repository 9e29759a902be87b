/* SPDX-License-Identifier: MIT */
/* NOP out log_hit's 7-byte "addl $1, hits(%rip)": the ret stays. */
#include <xsplice/payload.h>

XSPLICE_NOP(log_hit, 7);
