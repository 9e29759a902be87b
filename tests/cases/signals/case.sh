#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# signals: no signal lost or duplicated, masks intact, no stop visible to the
# parent (the target runs under watch_parent, which reports any).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/sig" "$CASE_DIR/sig.c"
build_target "$T/watch_parent" "$TARGETS_DIR/watch_parent.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/sig"
start_ready "$T/watch_parent" "$T/sig"
out=$TOUT perr=$TERR
pid=$(sed -n 's/^pid //p' "$out")
[ -n "$pid" ] || fail "no pid line"
track_pid "$pid"
rtmin=$(sed -n 's/^rtmin //p' "$out")
wait_workers "$out" 3 14 0
masks0=$(sigmasks_of "$pid")
say "signal masks before:"; printf '%s\n' "$masks0" | sed 's/^/    /' >&3

nusr1=20 bursts=4
(
	set +e
	trap - ERR
	for ((i = 1; i <= nusr1; i++)); do
		kill -USR1 "$pid" || exit 1
		wait_for_line "$out" "^usr1 $i\$" 10 || exit 1
		if ((i % 5 == 0)); then
			for _ in 1 2 3; do kill -"$rtmin" "$pid" || exit 1; done
		fi
		sleep 0.05
	done
	exit 0
) &
sender=$!
track_pid "$sender"

xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
for round in 1 2 3 4 5 6; do
	mark=$(fsize "$out")
	xs_ok apply "$pid" fix
	wait_workers "$out" 3 1007 "$mark"
	assert_alive "$pid" "target after apply $round"
	mark=$(fsize "$out")
	xs_ok revert "$pid" fix
	wait_workers "$out" 3 14 "$mark"
	assert_alive "$pid" "target after revert $round"
done
xs_ok unload "$pid" fix

for ((i = 0; i < 400; i++)); do alive "$sender" || break; sleep 0.05; done
wait "$sender" || fail "SIGUSR1 number $(grep -c '^usr1 ' "$out") + 1 was never handled"
want_rt=$((bursts * 3))
wait_for_line "$out" "^rt $want_rt\$" 5 || fail "only $(grep -c '^rt ' "$out") of $want_rt SIGRTMIN handled"
sleep 0.3
assert_eq "$(grep -c '^usr1 ' "$out")" "$nusr1" "SIGUSR1 handled"
assert_eq "$(grep -c '^rt ' "$out")" "$want_rt" "SIGRTMIN handled"
assert_no_file_match "$out" '^handler ran on the blocking thread' "target log"
assert_eq "$(sigmasks_of "$pid")" "$masks0" "SigBlk/SigCgt of every thread"
st=$(ps -o stat= -p "$pid")
case "$st" in *T* | *t*) fail "target is stopped: ps stat $st" ;; esac
assert_no_file_match "$perr" 'stopped|continued' "what the parent saw"
steady_ticks "$out" 'compute\(7\)=14$'
