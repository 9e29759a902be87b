#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_exit_midway: the process exits during the action; one line, no hang.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

park=$XSPLICE_ROOT/tests/cases/thread_parked
build_target "$T/park.bin" "$park/park.c"
build_payload "$T/fix.xsp" "$park/fix.c" "$T/park.bin"
start_ready "$T/park.bin" "$T"
pid=$TPID out=$TOUT
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix

# A thread parks in compute for 4 s; apply waits for it; the process dies meanwhile.
mark=$(fsize "$out")
touch "$T/park"
wait_for_line "$out" '^parked$' 5 "$mark" || fail "the parker thread did not park"
(sleep 0.5; kill -9 "$pid") &
killer=$!
start=$(date +%s%N)
xs_fail 'No such process' apply "$pid" fix --timeout 5000
ms=$((($(date +%s%N) - start) / 1000000))
wait "$killer"
say "apply gave up $ms ms after it started"
[ "$ms" -lt 4000 ] || fail "apply took $ms ms to notice the process was gone"
grep -q "$pid" "$XS_ERR" || fail "the error does not name pid $pid: $(cat "$XS_ERR")"

# Every later command says the same, in one line.
for cmd in "list $pid" "get $pid fix" "revert $pid fix" "unload $pid fix"; do
	# shellcheck disable=SC2086
	xs_fail 'No such process' $cmd
done
