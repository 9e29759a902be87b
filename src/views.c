/* SPDX-License-Identifier: MIT */
/* The read-only views of a process's payloads (list, get): nothing attached. */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"

bool xs_interrupted(const struct xs_state *st, bool *owner_running)
{
	*owner_running = st->journal.action != XS_ACTION_NONE && xs_journal_owner_alive(&st->journal);
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

int xs_payload_func_names(pid_t pid, const struct xs_state_payload *p, char ***names)
{
	struct xsplice_func *funcs = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*funcs));
	char **v = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*v));
	struct xs_session s = {.pid = pid};
	int rc = 0;

	if (!funcs || !v)
		rc = xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	if (!rc)
		rc = xs_proc_read(pid, p->funcs_addr, funcs, p->nfuncs * sizeof(*funcs));
	for (uint32_t i = 0; !rc && i < p->nfuncs; i++) {
		char buf[256];

		xs_func_read_name(&s, &funcs[i], buf, sizeof(buf));
		if (!(v[i] = strdup(buf)))
			rc = xs_fail(-ENOMEM, "payload %s: no memory", p->id);
	}
	free(funcs);
	if (rc) {
		for (uint32_t i = 0; v && i < p->nfuncs; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	*names = v;
	return 0;
}
