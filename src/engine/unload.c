/* SPDX-License-Identifier: MIT */
/*
 * UNLOAD: a payload nothing refers to any more, out of the registry and
 * unmapped, with one thread held when that is enough. A failed load uses
 * the same steps to take its payload out again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "arch.h"
#include "common/error.h"
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/stop_ahead.h"
#include "state/state_check.h"

/* No function still jumps into the payload: its entries, as its funcs table
 * names them, hold nothing xsplice would write to reach its code. Reads
 * only: attached or not. */
int xs_unreferenced(struct xs_session *s, int slot)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	struct xsplice_func *funcs = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*funcs));
	int rc = funcs ? xs_funcs_read(s, slot, funcs) :
	                 xs_fail(-ENOMEM, "payload %s: no memory", p->id);

	for (uint32_t i = 0; !rc && i < p->nfuncs; i++) {
		unsigned char entry[2 * XSPLICE_EXPECT_MAX];
		uint64_t at = (uintptr_t)funcs[i].old_addr, to;
		unsigned off;

		if (xs_session_read(s, at, entry, sizeof(entry))) {
			xs_error_clear(); /* not mapped: nothing there jumps anywhere */
			continue;
		}
		off = xs_arch_patch_offset(entry, sizeof(entry));
		if (xs_arch_decode_jump(entry + off, XS_ARCH_PATCH_SIZE, at + off, &to) &&
		    to >= p->base && to - p->base < p->size)
			rc = xs_fail(-EBUSY, "payload %s: the code at 0x%llx still jumps into it",
			             p->id, (unsigned long long)(at + off));
	}
	free(funcs);
	return rc;
}

/*
 * Out of the registry first, then unmapped: a run killed in between leaves
 * a mapping no one uses, where the other order would leave a record of
 * memory that is gone, or by then someone else's, for a later unload to
 * call hooks in and unmap. Attached; unload hooks run first.
 */
int xs_drop_payload(struct xs_session *s, int slot, bool one)
{
	struct xs_hook_time ht;
	uint64_t base = s->state->payloads[slot].base, size = s->state->payloads[slot].size;
	const struct xs_syscall unmap = { SYS_munmap, { base, size }, "to unmap the payload" };
	struct xs_syscall_denial why;
	long ret;
	int rc;

	/* One thread held: its filters must allow the munmap before the record goes. */
	if (one && xs_target_syscalls_allowed(s->t, &unmap, 1, &why) == -EPERM)
		return xs_fail(-EPERM, "payload %s: the held thread may not munmap",
		               s->state->payloads[slot].id);
	xs_hook_time_init(&ht, XS_DEFAULT_TIMEOUT_MS);
	rc = xs_run_hooks(s, slot, XS_HOOK_UNLOAD, false, &ht);
	if (rc)
		return rc;
	memset(&s->state->payloads[slot], 0, sizeof(s->state->payloads[slot]));
	rc = xs_session_commit(s);
	if (!rc)
		rc = xs_session_syscall(s, SYS_munmap, base, size, 0, 0, 0, 0, &ret);
	return rc;
}

/* What an unload checks: only what xsplice maps as a payload, and unused. */
static int unload_checks(struct xs_session *s, int slot)
{
	return xs_state_region_check(&s->state->payloads[slot], s->maps, s->pid) ?:
	           xs_unreferenced(s, slot);
}

/*
 * Checked while the process runs, and in the stop only the mapping again
 * (what is unmapped must be the payload), unless another run changed the
 * registry meanwhile: then everything. Nothing refers to the payload any
 * more, so one thread held is enough to unmap it (one), unless it has
 * unload hooks, the held thread's seccomp filters refuse munmap (-EPERM), a
 * journal needs undoing (-EAGAIN) or the thread did not stop in time: those
 * with every thread stopped.
 */
static int unload_pass(pid_t pid, const char *id, bool one, bool *held)
{
	struct xs_session *s = NULL, *before = NULL;
	struct xs_ahead ahead = { 0 };
	uint32_t version = 0;
	int slot, rc = xs_open_to_unload(pid, id, false, NULL, &before, &slot);

	if (!rc)
		rc = unload_checks(before, slot);
	if (rc) {
		xs_session_close(before);
		return xs_record_failure(pid, id, slot, rc);
	}
	if (one && before->state->payloads[slot].nhooks[XS_HOOK_UNLOAD]) {
		xs_session_close(before);
		return -EAGAIN;
	}
	version = before->state->version;
	ahead = (struct xs_ahead){ before, NULL, before->state_addr, 0, version };
	before->hooks.before_stop = xs_check_before_stop;
	before->hooks.before_arg = &ahead;
	rc = one ? xs_session_open_one(pid, XS_DEFAULT_TIMEOUT_MS, before, &s) :
	           xs_open_to_unload(pid, id, true, before, &s, &slot);
	*held = s && s->t;
	if (!rc && one && (slot = xs_session_find(s, id)) < 0)
		rc = slot;
	if (!rc && one)
		rc = xs_unload_allowed(s, slot);
	if (!rc && one && s->state->payloads[slot].nhooks[XS_HOOK_UNLOAD])
		rc = -EAGAIN;
	xs_mark("stopped");
	if (!rc)
		rc = xs_session_maps_fresh(s);
	if (!rc)
		rc = s->state->version == version ?
		         xs_state_region_check(&s->state->payloads[slot], s->maps, pid) :
		         unload_checks(s, slot);
	xs_mark("checked");
	if (!rc)
		rc = xs_drop_payload(s, slot, one);
	if (rc && !(one && (rc == -EPERM || rc == -EAGAIN)))
		xs_fail_action(s, slot, rc);
	xs_session_close(s);
	xs_session_close(before);
	xs_mark("released");
	xs_marks_print("unload stop timeline, us");
	return rc;
}

int xs_unload(pid_t pid, const char *id)
{
	bool held = false;
	int rc = unload_pass(pid, id, true, &held);

	/* -ETIMEDOUT: the thread to hold did not stop in time; nothing was done. */
	if (rc == -EPERM || rc == -EAGAIN || (!held && rc == -ETIMEDOUT)) {
		xs_debug("payload %s: with one thread held: %s; again with all", id,
		         xs_error_message());
		xs_error_clear();
		rc = unload_pass(pid, id, false, &held);
	}
	return xs_target_explain(pid, rc);
}
