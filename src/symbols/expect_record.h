/* SPDX-License-Identifier: MIT */
/*
 * Recording in a payload file the bytes its functions have in the target
 * file (`xsplice cc`; the builder fills them in as it writes, build_emit.c).
 */
#ifndef XS_EXPECT_RECORD_H
#define XS_EXPECT_RECORD_H

/*
 * Every .xsplice.funcs entry of the payload file (written by us, validated
 * here) without an expect block gets the bytes target has at its function
 * (found as upload finds it: by link-time old_addr, else by name in target's
 * symbols). An entry whose function is not found is left for upload to
 * refuse by name.
 */
int xs_expect_record(const char *payload, const char *target);

#endif
