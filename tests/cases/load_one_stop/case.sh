#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# load_one_stop: load stops the process once (XSPLICE_STOPS), upload and
# unload once each (holding one thread that waits, or, when every thread
# spins, all); a refused load (a thread parked in the function, and on a
# fresh process with no registry yet) leaves maps, code and payloads as they
# were.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

PARK_DIR=$CASE_DIR/../thread_parked
build_target "$T/park.bin" "$PARK_DIR/park.c"
build_payload "$T/fix.xsp" "$PARK_DIR/fix.c" "$T/park.bin"

# stops ACTION ARGS...: run xsplice with the stop log; STOPS = stops logged.
stops() {
	rm -f "$T/stops"
	XSPLICE_STOPS=$T/stops xs "$@" || true
	STOPS=0
	[ -f "$T/stops" ] && STOPS=$(wc -l <"$T/stops")
	return 0
}

# busy_refused WHAT: the last run was refused as busy (exit 75): the thread's
# stack, then the error line naming the function by the payload's name for
# it, though the payload is gone again by the time that line is made.
busy_refused() {
	[ "$XS_RC" = 75 ] || fail "$1: exit code $XS_RC, expected 75: $(head -c 2000 "$XS_ERR")"
	grep -qv '^xsplice: ' "$XS_ERR" && fail "$1: a stderr line does not start with 'xsplice: ': $(head -c 2000 "$XS_ERR")"
	tail -n 1 "$XS_ERR" | grep -Eq 'payload fix: 1 thread still in function compute after .*Device or resource busy$' ||
		fail "$1: the error line does not name function compute: $(head -c 2000 "$XS_ERR")"
}

start_ready "$T/park.bin" "$T"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
expect_tick "$out" 'compute\(7\)=14$'

# 1. A refused load into a process without a registry: nothing stays, not
# even the registry it made.
snapshot fresh "$pid" "$addr" 32
mark=$(fsize "$out")
touch "$T/park"
wait_for_line "$out" '^parked$' 5 "$mark" || fail "the parker thread did not park"
stops load "$pid" "$T/fix.xsp" --id fix --timeout 300
busy_refused "load into a fresh process"
grep -q '^unparked' "$out" && fail "the parked thread left compute before the load: test is not valid"
assert_unchanged fresh "refused load into a fresh process"
assert_eq "$(list_ids "$pid")" "" "payloads after the refused load"
wait_for_line "$out" '^unparked -8000$' 6 "$mark" || fail "the parked thread did not come back"

# 2. load: one stop, and the target runs the new code.
stops load "$pid" "$T/fix.xsp" --id fix
[ "$XS_RC" = 0 ] || fail "load failed: $(cat "$XS_ERR")"
assert_eq "$STOPS" 1 "stops of a load"
assert_status "$pid" fix APPLIED
expect_tick "$out" 'compute\(7\)=1007$'
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'
stops unload "$pid" fix
[ "$XS_RC" = 0 ] || fail "unload failed: $(cat "$XS_ERR")"
assert_eq "$STOPS" 1 "stops of an unload"

# 3. upload alone: one stop; then the registry exists for what follows.
stops upload "$pid" fix "$T/fix.xsp"
[ "$XS_RC" = 0 ] || fail "upload failed: $(cat "$XS_ERR")"
assert_eq "$STOPS" 1 "stops of an upload"
assert_status "$pid" fix LOADED
xs_ok unload "$pid" fix

# 4. A refused load with a registry there: the same, and a second load of
# the same id works once the thread left (nothing "already loaded").
snapshot reg "$pid" "$addr" 32
mark=$(fsize "$out")
touch "$T/park"
wait_for_line "$out" '^parked$' 5 "$mark" || fail "the parker thread did not park again"
stops load "$pid" "$T/fix.xsp" --id fix --timeout 300
busy_refused "load with a registry"
tail -c +$((mark + 1)) "$out" | grep -q '^unparked' && fail "the parked thread left compute before the load: test is not valid"
assert_unchanged reg "refused load"
assert_eq "$(list_ids "$pid")" "" "payloads after the second refused load"
expect_tick "$out" 'compute\(7\)=14$'
wait_for_line "$out" '^unparked -8000$' 6 "$mark" || fail "the parked thread did not come back"
stops load "$pid" "$T/fix.xsp" --id fix
[ "$XS_RC" = 0 ] || fail "load after the refusal failed: $(cat "$XS_ERR")"
assert_eq "$STOPS" 1 "stops of a load"
expect_tick "$out" 'compute\(7\)=1007$'
xs_ok revert "$pid" fix
xs_ok unload "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'

# 5. A process whose every thread spins: none to hold alone, so upload and
# unload stop it whole, once each.
build_target "$T/spin" "$CASE_DIR/spin.c"
build_payload "$T/spin.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/spin"
start_ready "$T/spin"
pid=$TPID out=$TOUT
for id in a b; do
	stops upload "$pid" "$id" "$T/spin.xsp"
	[ "$XS_RC" = 0 ] || fail "upload into the spinning process failed: $(cat "$XS_ERR")"
	assert_eq "$STOPS" 1 "stops of an upload into the spinning process"
	stops unload "$pid" "$id"
	[ "$XS_RC" = 0 ] || fail "unload from the spinning process failed: $(cat "$XS_ERR")"
	assert_eq "$STOPS" 1 "stops of an unload from the spinning process"
done
# (the workers are in compute() often: the quiescence check may look again)
mark=$(fsize "$out")
xs_ok load "$pid" "$T/spin.xsp" --id fix
wait_count "$out" '^t[01] compute\(7\)=1007$' 2 5 "$mark" || fail "the spinning workers did not both see compute(7)=1007"
