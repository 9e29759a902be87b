/* SPDX-License-Identifier: MIT */
/* The read-only views of a process's payloads (list, get): nothing attached. */
#include "engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "common/error.h"

bool xs_interrupted(const struct xs_state *st, bool *owner_running)
{
	*owner_running =
	    st->journal.action != XS_ACTION_NONE && xs_journal_owner_alive(&st->journal);
	return st->journal.action != XS_ACTION_NONE;
}

int xs_snapshot(pid_t pid, struct xs_state *out)
{
	struct xs_session *s;
	int rc = xs_session_open(pid, false, XS_DEFAULT_TIMEOUT_MS, &s);

	if (rc)
		return rc;
	*out = *s->state;
	xs_session_close(s);
	return 0;
}
