/* SPDX-License-Identifier: MIT */
/*
 * What a function's entry holds, seen through the payloads applied there:
 * the code as it is, as it was before any of them patched it, and as they
 * left it; and whether that is what a payload expects to find (its expect
 * block), checked before CHECK passes and before APPLY changes anything.
 */
#ifndef XS_SITE_VIEW_H
#define XS_SITE_VIEW_H

#include <stdint.h>

#include "payload/expect.h"
#include "state/session.h"

/* Every applied payload's records, in the order they were applied. */
struct xs_layers;
int xs_layers_load(struct xs_session *s, struct xs_layers **out);
void xs_layers_free(struct xs_layers *l);

/* XS_EXPECT_READ bytes from a function's entry. */
struct xs_site_view {
	uint64_t addr;
	/* the code now */
	unsigned char live[XS_EXPECT_READ];
	/* before the first payload applied here: each one's saved bytes put
	 * back over live, the last applied first */
	unsigned char orig[XS_EXPECT_READ];
	/* what live must hold: orig with each one's written bytes laid over,
	 * in the order they were applied */
	unsigned char want[XS_EXPECT_READ];
	int top; /* slot of the payload applied here last; -1: none */
};

int xs_site_view(struct xs_session *s, const struct xs_layers *l, uint64_t addr,
                 struct xs_site_view *v);

/*
 * Payload id's function name (at v->addr) expects e (after the prefix of po
 * bytes, endbr64): orig must hold it, and live what the payloads applied
 * there wrote over it. -EINVAL otherwise, naming the payload, the function,
 * its address and what is there against what was expected.
 */
int xs_site_expect(struct xs_session *s, const struct xs_site_view *v, unsigned po,
                   const struct xsplice_expect *e, const char *id, const char *name);

#endif
