#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_unload: an unprivileged target changes where its records say a
# payload lives, so that the root CLI's unload would unmap code the target
# runs: (a) the reverted payload's base/size and text cover the target's
# executable code; (b) an applied payload and an unused one trade their
# whole layout (each record still a consistent payload), and the unused one
# is unloaded. The code must stay mapped and the target keep computing.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"
CLEAN='b\(7\)=21 victim\(7\)=21 buf=hello!$'

start() {
	hostile_loaded
	expect_tick "$out" "compute\\(7\\)=1007 $CLEAN"
	threads=$(nthreads_of "$pid")
}

# survived VALUE: alive, same threads, computing VALUE, every executable
# mapping of before still there
survived() {
	local gone
	assert_alive "$pid" "target after unload"
	exec_maps_of "$pid" >"$T/exec.after"
	gone=$(new_lines "$T/exec.after" "$T/exec.before")
	[ -z "$gone" ] || fail "unload unmapped code the target runs: $gone"
	assert_eq "$(nthreads_of "$pid")" "$threads" "threads of the target after unload"
	steady_ticks "$out" "compute\\(7\\)=$1 $CLEAN"
}

record_is_text() {
	start
	xs_ok revert "$pid" fix
	expect_tick "$out" "compute\\(7\\)=14 $CLEAN"
	hattack "$out" cmd "forge_text fix"
	text=$(sed -n 's/^text //p' "$T/hcmd.out")
	say "the record of fix now covers $text"
	exec_maps_of "$pid" >"$T/exec.before"
	grep -q "^$text " "$T/exec.before" || fail "no executable mapping $text: $(cat "$T/exec.before")"
	xs_sane unload "$pid" fix
	survived 14
	assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute after unload"
}

swapped() {
	start
	xs_ok upload "$pid" spare "$T/fix.xsp"
	xs_ok check "$pid" spare
	applied=$(read_code "$pid" "$addr" 16)
	exec_maps_of "$pid" >"$T/exec.before"
	hattack "$out" cmd "swap_layout fix spare"
	xs_sane unload "$pid" spare
	survived 1007
	assert_eq "$(read_code "$pid" "$addr" 16)" "$applied" "code at compute after unload"
}

run_variant record_is_text record_is_text
run_variant swapped_layout swapped
variants_done
