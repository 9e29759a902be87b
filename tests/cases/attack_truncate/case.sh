#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_truncate: a target (as root: it opens /proc/self/map_files) cuts
# its registry memfd to 0 bytes, before a command or while an apply holds
# the process (an older CLI mapped the registry too): before the stop, or in
# it, through a child it forked (which shares the memfd and is not
# stopped). The CLI must not die of SIGBUS, nor kill the target; the
# truncate itself may be refused (a sealed memfd).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir # for $OWN; the target runs as root here
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"
CLEAN='b\(7\)=21 victim\(7\)=21 buf=hello!$'

start() {
	hostile_loaded root
	expect_tick "$out" "compute\\(7\\)=1007 $CLEAN"
}

# cut: truncate the registry (the process reading $cmd does); cut=1 if it worked
cut() {
	cut=0
	if HCMD_MAY_FAIL=1 hcmd "$out" "${cmd:-cmd}" truncate; then
		cut=1
		say "registry truncated to 0 bytes"
	else
		say "truncate refused: $(grep '^err ' "$T/hcmd.out")"
	fi
}

# whole: the target is alive and its code whole (original or a jump), as it computes
whole() {
	local now
	assert_alive "$pid" "target ($1)"
	now=$(read_code "$pid" "$addr" 16)
	if [ "$now" = "$orig" ]; then
		steady_ticks "$out" "compute\\(7\\)=14 $CLEAN"
	else
		assert_eq "${now:0:2} ${now:15}" "e9 ${orig:15}" "code at compute ($1)"
		steady_ticks "$out" "compute\\(7\\)=1007 $CLEAN"
	fi
}

before_commands() {
	start
	cut
	for c in "list $pid" "get $pid fix" "list $pid --json"; do
		# shellcheck disable=SC2086
		xs_sane $c
		assert_eq "$(read_code "$pid" "$addr" 16)" "${applied:=$(read_code "$pid" "$addr" 16)}" "code after $c"
		whole "after $c"
	done
	[ "$cut" = 1 ] || assert_eq "$(list_status "$pid" fix)" APPLIED "status with the truncate refused"
	xs_sane revert "$pid" fix
	whole "after revert"
	xs_sane apply "$pid" fix
	whole "after apply"
}

# during_apply PAUSE: truncated while an apply is held at PAUSE
during_apply() {
	start
	xs_ok revert "$pid" fix
	expect_tick "$out" "compute\\(7\\)=14 $CLEAN"
	if [ "$1" = in-stop ]; then
		# the target will be stopped: a child it forked, which shares
		# the memfd, does it while the CLI holds every thread
		hcmd "$out" cmd "fork 1"
		child=$(sed -n 's/^child 1 //p' "$T/hcmd.out")
		track_pid "$child"
		wait_for_line "$OWN/child1.out" '^ready$' 5 || fail "the child is not ready"
	fi
	hold_run "$1" apply "$pid" fix
	if [ "$1" = in-stop ]; then
		out=$OWN/child1.out cmd=cmd.c1 cut
		out=$TOUT
	else
		cut
	fi
	release_held
	if grep -Eq 'Sanitizer|runtime error:' "$T/held.err"; then
		fail "the held apply printed a sanitizer report: $(grep -E 'ERROR|runtime error' "$T/held.err" | head -n 2)"
	fi
	[ "$HELD_RC" -lt 128 ] ||
		fail "the held apply died of signal $((HELD_RC - 128)) (exit $HELD_RC) after the registry was truncated"
	if [ "$HELD_RC" != 0 ]; then
		cp "$T/held.err" "$XS_ERR"
		XS_RC=$HELD_RC
		xs_refused . "the held apply"
	fi
	whole "after the held apply"
	xs_sane list "$pid"
	whole "after list"
}

run_variant before_commands before_commands
run_variant before_stop during_apply before-stop
run_variant in_stop during_apply in-stop
variants_done
