/* SPDX-License-Identifier: MIT */
/*
 * XSPLICE_UNWIND=check (make check sets it): every stack the frame rules
 * walked is walked again by libdwfl, and any difference fails the walk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "unwind/unwind_int.h"

/* The rules' frames must be libdwfl's, frame for frame. */
int xs_unwind_check_rules(struct xs_unwinder *u, struct xs_target *t, size_t i,
                          struct xs_frame *frames, size_t max)
{
	size_t n = u->n, k;
	struct xs_frame *mine = malloc(n * sizeof(*mine) + 1);
	int rc;

	if (!mine)
		return xs_fail(-ENOMEM, "thread %d: no memory to check its stack", (int)u->tid);
	memcpy(mine, frames, n * sizeof(*mine));
	rc = xs_unwind_walk_dwfl_afresh(u, t, i, frames, max);
	for (k = 0; !rc && k < n && k < u->n; k++)
		if (mine[k].pc != frames[k].pc || mine[k].sp != frames[k].sp)
			break;
	if (!rc && (k < n || k < u->n))
		rc = xs_fail(
		    -EIO,
		    "thread %d: frame rules and libdwfl disagree at frame %zu of %zu/%zu: pc 0x%" PRIx64
		    " sp 0x%" PRIx64 " vs pc 0x%" PRIx64 " sp 0x%" PRIx64,
		    (int)u->tid, k, n, u->n, k < n ? mine[k].pc : 0, k < n ? mine[k].sp : 0,
		    k < u->n ? frames[k].pc : 0, k < u->n ? frames[k].sp : 0);
	else if (rc)
		rc = xs_fail(-EIO,
		             "thread %d: frame rules walked %zu frames where libdwfl fails: %s",
		             (int)u->tid, n, u->why[0] ? u->why : dwfl_errmsg(-1));
	free(mine);
	return rc;
}
