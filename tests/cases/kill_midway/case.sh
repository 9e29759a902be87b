#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kill_midway: a CLI killed in the middle of an action never leaves the
# process half patched; the next run finishes or undoes it.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/two" "$CASE_DIR/two.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/two"
OLD=' a=14 b=21$'
NEW=' a=1007 b=2007$'

# consistent PID: status and behaviour agree; prints the status
consistent() {
	local pid=$1 out=$2 st ca cb
	xs_ok list "$pid"
	st=$(status_of "$pid" fix)
	ca=$(read_code "$pid" "$addr_a" 16)
	cb=$(read_code "$pid" "$addr_b" 16)
	case "$st" in
	APPLIED)
		steady_ticks "$out" "$NEW"
		assert_eq "${ca:0:2}" e9 "compute_a while APPLIED"
		assert_eq "${cb:0:2}" e9 "compute_b while APPLIED"
		;;
	LOADED | CHECKED | REVERTED)
		steady_ticks "$out" "$OLD"
		assert_eq "$ca" "$orig_a" "compute_a while $st"
		assert_eq "$cb" "$orig_b" "compute_b while $st"
		;;
	*) fail "status after the crash: '$st'" ;;
	esac
	printf '%s' "$st"
}

for point in apply-after-prewrite apply-after-journal apply-after-first-write revert-after-first-write; do
	say "=== $point"
	start_ready "$T/two"
	pid=$TPID out=$TOUT
	addr_a=$(addr_of "$out" compute_a)
	addr_b=$(addr_of "$out" compute_b)
	orig_a=$(read_code "$pid" "$addr_a" 16)
	orig_b=$(read_code "$pid" "$addr_b" 16)
	xs_ok upload "$pid" fix "$T/fix.xsp"
	xs_ok check "$pid" fix
	action=apply
	if [ "$point" = revert-after-first-write ]; then
		xs_ok apply "$pid" fix
		expect_tick "$out" "$NEW"
		action=revert
	fi
	rc=0
	XSPLICE_TEST_CRASH_AT=$point xs "$action" "$pid" fix || rc=$?
	[ "$rc" = 0 ] && fail "XSPLICE_TEST_CRASH_AT=$point: $action finished: crash point not implemented"
	[ "$rc" = 137 ] || fail "XSPLICE_TEST_CRASH_AT=$point: expected death by SIGKILL (137), got $rc"
	# before any other run repairs it: after the first write exactly one of
	# the two sites has changed (the crash point is really half way)
	if [[ $point == *-after-first-write ]]; then
		ca=$(read_code "$pid" "$addr_a" 16)
		cb=$(read_code "$pid" "$addr_b" 16)
		if [ "$action" = apply ]; then
			[ "$ca" = "$orig_a" ] && na=0 || na=1
			[ "$cb" = "$orig_b" ] && nb=0 || nb=1
		else
			[ "${ca:0:2}" = e9 ] && na=0 || na=1
			[ "${cb:0:2}" = e9 ] && nb=0 || nb=1
		fi
		say "sites changed before recovery: compute_a $na, compute_b $nb"
		[ $((na + nb)) = 1 ] || fail "$point: $((na + nb)) of 2 sites changed when the CLI died, expected 1"
	fi
	assert_alive "$pid" "target after the CLI died at $point"
	# a read-only command writes nothing, even to finish the dead run's work
	ca=$(read_code "$pid" "$addr_a" 16)
	cb=$(read_code "$pid" "$addr_b" 16)
	xs_ok list "$pid"
	assert_eq "$(read_code "$pid" "$addr_a" 16)$(read_code "$pid" "$addr_b" 16)" "$ca$cb" \
		"code after 'list' of a half-done $action"
	xs_ok recover "$pid"
	st=$(consistent "$pid" "$out")
	say "status after $point: $st"
	if [ "$point" = apply-after-prewrite ]; then
		# it died before the stop, its records written ahead: nothing happened
		assert_eq "$st" CHECKED "status after a death before the stop"
	fi
	# and the payload still works from there
	case "$st" in
	APPLIED)
		xs_ok revert "$pid" fix
		expect_tick "$out" "$OLD"
		;;
	*)
		[ "$st" = LOADED ] && xs_ok check "$pid" fix
		xs_ok apply "$pid" fix
		expect_tick "$out" "$NEW"
		xs_ok revert "$pid" fix
		expect_tick "$out" "$OLD"
		;;
	esac
	assert_eq "$(read_code "$pid" "$addr_a" 16)" "$orig_a" "compute_a at the end"
	assert_eq "$(read_code "$pid" "$addr_b" 16)" "$orig_b" "compute_b at the end"
	xs_ok unload "$pid" fix
	steady_ticks "$out" "$OLD"
	_xs_kill_reap "$pid"
done
