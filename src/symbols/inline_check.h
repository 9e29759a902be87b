/* SPDX-License-Identifier: MIT */
/*
 * The copies check of `xsplice cc` and UPLOAD: a payload must replace every
 * copy of the old code of the functions it replaces (where GCC inlined them,
 * their clones), or those paths keep the old code while the payload shows
 * as APPLIED. One line per copy left; a refusal unless allowed.
 */
#ifndef XS_INLINE_CHECK_H
#define XS_INLINE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/objects.h"

/*
 * Check the functions a payload replaces in obj: names[i] as the payload
 * names them, addrs[i] their runtime entries (every function it replaces:
 * a copy inside one of them is replaced with it). Each copy left is printed
 * (xs_note) on its own line; then -EOPNOTSUPP with a message naming `who`
 * (the payload), or, with allow, 0 and the lines are warnings. Without
 * DWARF it warns that it cannot see inlining, and checks clone names only.
 */
int xs_inline_check(struct xs_object *obj, const char *who, const char *const *names,
                    const uint64_t *addrs, size_t n, bool allow);

#endif
