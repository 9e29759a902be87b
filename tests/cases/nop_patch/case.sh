#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nop_patch: an in-place NOP patch (new_addr NULL) and its revert.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/hits" "$CASE_DIR/hits.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/hits"
start_ready "$T/hits"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" log_hit)
orig=$(read_code "$pid" "$addr" 8)
assert_match "$orig" '^83 05 .. .. .. .. 01 c3$' "log_hit's bytes"

# hits_now: the hits value of a tick printed from now on (the second one,
# computed after the call)
hits_now() {
	local from
	from=$(fsize "$out")
	wait_count "$out" '^tick ' 2 5 "$from" || fail "no ticks"
	tail -c +$((from + 1)) "$out" | grep '^tick ' | sed -n '2s/.*hits=//p'
}

increasing() {
	local a b
	a=$(hits_now)
	b=$(hits_now)
	[ "$b" -gt "$a" ] || fail "hits not increasing ($1): $a then $b"
}

increasing "before the patch"
xs_ok load "$pid" "$T/fix.xsp"
assert_status "$pid" fix APPLIED
code=$(read_code "$pid" "$addr" 8)
say "log_hit after apply: $code"
assert_eq "${code:21:2}" c3 "ret after the NOPs"
printf "$(printf '%s' "$code" | sed 's/\([0-9a-f][0-9a-f]\) */\\x\1/g')" >"$T/code.bin"
objdump -D -b binary -m i386:x86-64 "$T/code.bin" | awk '/^ +[0-9a-f]+:/ { print $NF == "ret" ? "ret" : $0 }' >"$T/insns"
cat "$T/insns" >&3
if grep -v '^ret$' "$T/insns" | grep -qv 'nop'; then fail "the patched bytes are not only NOPs: $(cat "$T/insns")"; fi
a=$(hits_now)
b=$(hits_now)
c=$(hits_now)
[ "$a" = "$b" ] && [ "$b" = "$c" ] || fail "hits still change after the NOP patch: $a $b $c"

xs_ok revert "$pid" fix
assert_eq "$(read_code "$pid" "$addr" 8)" "$orig" "log_hit after revert"
increasing "after revert"
xs_ok unload "$pid" fix
increasing "after unload"
