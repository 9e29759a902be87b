/* SPDX-License-Identifier: MIT */
/* A payload's hooks, called in the stopped process within a time bound (engine_int.h). */
#include <errno.h>
#include <stdio.h>

#include "engine/engine_int.h"
#include "common/error.h"

void xs_hook_time_init(struct xs_hook_time *ht, long timeout_ms)
{
	ht->bound_ms =
	    timeout_ms > 0 && timeout_ms < XS_HOOKS_STOP_MS ? timeout_ms : XS_HOOKS_STOP_MS;
	ht->spent_us = 0;
}

int xs_run_hooks(struct xs_session *s, int slot, int kind, bool veto, struct xs_hook_time *ht)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	const char *what = xs_hook_names[kind];

	for (uint32_t i = 0; i < p->nhooks[kind]; i++) {
		long long left_us = ht->bound_ms * 1000LL - ht->spent_us, t0;
		long call_ms =
		    left_us / 1000 < XS_HOOK_CALL_MS ? (long)(left_us / 1000) : XS_HOOK_CALL_MS;
		char why[512];
		uint64_t fn, ret;
		int rc;

		if (call_ms <= 0)
			return xs_fail(
			    -ETIMEDOUT,
			    "payload %s: %s hook %u of %u not run: the hooks of this stop took %lld ms, their bound is %ld ms",
			    p->id, what, i, p->nhooks[kind], ht->spent_us / 1000, ht->bound_ms);
		rc = xs_target_read(s->t, p->hooks_addr[kind] + 8 * i, &fn, sizeof(fn));
		/* The array is the target's to write: call only into the payload's text. */
		if (!rc && (fn < p->text_start || fn >= p->text_end))
			return xs_fail(-EPROTO,
			               "payload %s: %s hook %u at 0x%llx is outside its text",
			               p->id, what, i, (unsigned long long)fn);
		t0 = xs_now_us();
		if (!rc)
			rc = xs_target_call(s->t, fn, NULL, 0, p->stub_addr, call_ms, &ret);
		ht->spent_us += xs_now_us() - t0;
		if (rc == -ETIMEDOUT && call_ms < XS_HOOK_CALL_MS)
			return xs_fail_override(
			    rc,
			    "payload %s: %s hook %u of %u did not return within the %ld ms left of the %ld ms the hooks of one stop may take",
			    p->id, what, i, p->nhooks[kind], call_ms, ht->bound_ms);
		if (rc == -ETIMEDOUT)
			return xs_fail_override(
			    rc,
			    "payload %s: %s hook %u did not return within %d ms, the time one hook may take",
			    p->id, what, i, XS_HOOK_CALL_MS);
		if (rc) {
			snprintf(why, sizeof(why), "%s", xs_error_message());
			return xs_fail_override(rc, "payload %s: %s hook %u failed: %s", p->id,
			                        what, i, why);
		}
		if (veto && (int)ret != 0)
			return xs_fail(-ECANCELED, "payload %s: %s hook %u returned %d", p->id,
			               what, i, (int)ret);
	}
	return 0;
}
