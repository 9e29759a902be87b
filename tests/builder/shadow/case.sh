#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shadow: the fix that needs a new field in struct conn, written with a
# shadow variable (xsplice/shadow.h): conns made before the patch and after
# get the new state; a payload loaded later, or uploaded and applied, finds
# the same shadows.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

old=' c0 hits=[0-9]+ c[0-9]+ hits=[0-9]+$'
new=' c0 hits=[0-9]+ t=[0-9]+( busy)? c[0-9]+ hits=[0-9]+ t=[0-9]+( busy)?$'

# t= of c0 (the listener, made before any patch) in the last tick
c0_touches() { grep '^tick ' "$TOUT" | tail -n 1 | sed -n 's/.* c0 hits=[0-9]* t=\([0-9]*\).*/\1/p'; }

project conns make
xs_build_ok "$CASE_DIR/fix.diff"
start_ready "$BIN"
expect_tick "$TOUT" "$old"
before=$(grep '^tick ' "$TOUT" | tail -n 1 | sed -n 's/.* c\([0-9]*\) hits=[0-9]*$/\1/p')
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" "$new"
steady_ticks "$TOUT" "$new"
# the listener, made before the patch, gets its shadow and becomes busy
expect_tick "$TOUT" ' c0 hits=[0-9]+ t=[3-9][0-9]* busy '
# a conn made after the patch: touched 3 times, busy
from=$(fsize "$TOUT")
ok=
for _ in $(seq 80); do
	if tail -c +$((from + 1)) "$TOUT" | sed -n 's/.* c\([0-9]*\) hits=3 t=3 busy$/\1/p' |
		awk -v b="$before" '$1 > b { f = 1 } END { exit !f }'; then
		ok=1
		break
	fi
	sleep 0.1
done
[ -n "$ok" ] || fail "no conn made after the patch reached 'hits=3 t=3 busy': $(grep '^tick' "$TOUT" | tail -n 3 | tr '\n' '|')"
xs_ok revert "$TPID" fix
expect_tick "$TOUT" "$old"
xs_ok unload "$TPID" fix
# the table outlives the payload: another one finds c0's shadow
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" "$new"
t_then=$(c0_touches)
xs_ok revert "$TPID" fix
xs_ok unload "$TPID" fix
cp "$T/fix.xsp" "$T/fix2.xsp"
xs_ok load "$TPID" "$T/fix2.xsp"
expect_tick "$TOUT" "$new"
t_now=$(c0_touches)
[ -n "$t_then" ] && [ -n "$t_now" ] && [ "$t_then" -ge 4 ] && [ "$t_now" -gt "$t_then" ] ||
	fail "fix2 did not find c0's shadow: t=$t_now after fix2, t=$t_then under fix"
xs_ok revert "$TPID" fix2
expect_tick "$TOUT" "$old"
xs_ok unload "$TPID" fix2
# upload then apply (the anchor resolved in upload's stop, one thread held)
t_then=$t_now # c0's count under fix2
xs_ok upload "$TPID" fix3 "$T/fix.xsp"
xs_ok check "$TPID" fix3
xs_ok apply "$TPID" fix3
expect_tick "$TOUT" "$new"
t_now=$(c0_touches)
[ -n "$t_then" ] && [ -n "$t_now" ] && [ "$t_now" -gt "$t_then" ] ||
	fail "fix3 (upload, apply) did not find c0's shadow: t=$t_now after fix3, t=$t_then before"
xs_ok revert "$TPID" fix3
expect_tick "$TOUT" "$old"
xs_ok unload "$TPID" fix3
