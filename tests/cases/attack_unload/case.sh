#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_unload: an unprivileged target points its reverted payload's
# record (base/size, text_start/text_end) at its own executable's code; the
# root CLI's unload must not unmap it.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"
CLEAN='b\(7\)=21 victim\(7\)=21 buf=hello!$'

start_ready_unpriv "$T/hostile" "$OWN" 2
pid=$TPID out=$TOUT
wait_workers "$out" 2 14 0
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
xs_ok load "$pid" "$T/fix.xsp"
expect_tick "$out" "compute\\(7\\)=1007 $CLEAN"
xs_ok revert "$pid" fix
expect_tick "$out" "compute\\(7\\)=14 $CLEAN"
threads=$(nthreads_of "$pid")

hattack "$out" cmd "forge_text fix"
text=$(sed -n 's/^text //p' "$T/hcmd.out")
say "the record of fix now covers $text"
exec_maps_of "$pid" >"$T/exec.before"
grep -q "^$text " "$T/exec.before" || fail "no executable mapping $text: $(cat "$T/exec.before")"

xs_sane unload "$pid" fix
assert_alive "$pid" "target after unload"
grep -q "^$text " <(exec_maps_of "$pid") || fail "unload unmapped the target's code ($text)"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute after unload"
steady_ticks "$out" "compute\\(7\\)=14 $CLEAN"
assert_eq "$(nthreads_of "$pid")" "$threads" "threads of the target after unload"
