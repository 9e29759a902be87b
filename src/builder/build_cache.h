/* SPDX-License-Identifier: MIT */
/*
 * The original build kept between `xsplice build` runs (--cache DIR): one
 * entry per key (the source tree's content, the build command and flags, the
 * compiler, the target's build-id), each holding the built original tree, so
 * the next fix for the same binary rebuilds only what its diff touches.
 */
#ifndef XS_BUILD_CACHE_H
#define XS_BUILD_CACHE_H

#include <stdbool.h>

#include "builder/build.h"

struct xb_cache;

/* Compute the key and lock its entry for this build. *out is NULL (after a
 * note saying why) when the entry is in use by another build or the key
 * cannot be computed: the build then goes on without the cache. */
int xb_cache_open(const struct xb_opts *o, const struct xs_build_id *target, struct xb_cache **out);
/* The entry holds a verified original build. */
bool xb_cache_hit(const struct xb_cache *c);
/* Where tree/, orig/ and the compiler wrapper go: the entry, so both builds
 * run at one absolute path from one run to the next. */
const char *xb_cache_dir(const struct xb_cache *c);
/* Hit: tree/ anew from the cached orig/ (times kept, so make redoes only
 * what the diff touches), the orig build's link log into the work dir. */
int xb_cache_restore(struct xb_cache *c, const struct xb_work *w);
/* Miss, once orig/ is snapshot: keep the orig build's logs, mark the entry
 * complete. Failure only costs the next build its reuse (a note). */
void xb_cache_store(struct xb_cache *c, const struct xb_work *w);
/* The cached original build did not match the target: forget it; the next
 * build of this run is a miss. */
void xb_cache_drop(struct xb_cache *c);
/* msg: how the target failed to match the orig build. Remembered for a
 * build from scratch (a miss); known: a build from scratch failed the same
 * way, so a hit that fails so is not worth another. */
void xb_cache_mismatch_note(struct xb_cache *c, const char *msg);
bool xb_cache_mismatch_known(const struct xb_cache *c, const char *msg);
/* Remove the entry's working tree (unless keep), unlock, evict the least
 * recently used entries past the ones to keep. NULL is a no-op. */
void xb_cache_close(struct xb_cache *c, bool keep);

#endif
