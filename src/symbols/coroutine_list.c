/* SPDX-License-Identifier: MIT */
/*
 * Before the stop, from the target's objects on disk: the address of its
 * xsplice_coroutines list (include/xsplice/coroutines.h), and a warning when
 * it links makecontext/swapcontext without one (engine/coroutines.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xsplice/coroutines.h>

#include "symbols/coroutine_list.h"
#include "common/error.h"
#include "symbols/objects.h"

static const char *const ucontext_calls[] = { "swapcontext", "makecontext" };

/* The first object of objs importing a ucontext call: *who and *call. */
static int find_importer(struct xs_objects *objs, const char **who, const char **call)
{
	*who = NULL;
	for (size_t i = 0; i < objs->n; i++) {
		int rc = xs_object_imports(&objs->v[i], ucontext_calls,
		                           XS_ARRAY_SIZE(ucontext_calls), call);

		if (rc == -ENOMEM)
			return rc;
		if (rc) { /* an object we cannot read: the others may still tell */
			xs_debug("%s", xs_error_message());
			xs_error_clear();
			continue;
		}
		if (*call) {
			*who = objs->v[i].path;
			return 0;
		}
	}
	return 0;
}

static void warn(const char *who, const char *call)
{
	xs_note(
	    "warning: %s links %s: functions on coroutine stacks (ucontext) are not seen by the stack check unless the program lists them in " XSPLICE_COROUTINES_SYMBOL
	    " (docs/cli.md)",
	    who, call);
}

int xs_coroutines_find(pid_t pid, uint64_t *list)
{
	struct xs_objects *objs = NULL;
	struct xs_symbol_info si;
	const char *who = NULL, *call = NULL;
	int rc;

	*list = 0;
	xs_debug("pid %d: looking for its coroutine list", pid);
	rc = xs_objects_scan(pid, &objs);
	if (!rc && !xs_objects_resolve(objs, NULL, XSPLICE_COROUTINES_SYMBOL, &si)) {
		*list = si.addr;
		xs_debug("pid %d: coroutine list " XSPLICE_COROUTINES_SYMBOL " at 0x%" PRIx64
		         " in %s",
		         pid, si.addr, si.obj->path);
	}
	xs_error_clear(); /* not found: the usual case */
	if (!rc && !*list)
		rc = find_importer(objs, &who, &call);
	if (!rc && who)
		warn(who, call);
	xs_debug("pid %d: coroutine list and ucontext imports looked for in %zu objects", pid,
	         objs ? objs->n : 0);
	xs_objects_free(objs);
	return rc;
}

void xs_coroutines_warn_file(const char *path)
{
	struct xs_object *obj = NULL;
	const char *call = NULL;

	if (!xs_object_open_file(path, &obj) &&
	    !xs_object_imports(obj, ucontext_calls, XS_ARRAY_SIZE(ucontext_calls), &call) && call)
		warn(path, call);
	xs_error_clear(); /* only a warning: the build reports its own errors */
	xs_object_free(obj);
}
