#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# seccomp_threads: injected system calls run in a thread whose seccomp filter
# allows them (here a worker, the main thread's forbids PROT_EXEC); refused,
# naming the call, only when no thread's does. The signal frame every
# injected call returns through needs system calls of its own (its mask
# read): a thread whose filter refuses them is passed over too.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/thr" "$CASE_DIR/thr.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/thr"

# seccomp_modes PID: "tid:mode" of every thread, main thread first.
seccomp_modes() {
	local s
	printf '%s:%s\n' "$1" "$(awk '/^Seccomp:/ { print $2 }' "/proc/$1/task/$1/status")"
	for s in /proc/"$1"/task/*/status; do
		[ "$s" = "/proc/$1/task/$1/status" ] && continue
		printf '%s:%s\n' "$(basename "$(dirname "$s")")" "$(awk '/^Seccomp:/ { print $2 }' "$s")"
	done
}

# 1. only the main thread is filtered
start_ready "$T/thr" main
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the target did not install its filter"
modes=$(seccomp_modes "$pid" | cut -d: -f2 | tr '\n' ' ')
assert_eq "$modes" "2 0 0 " "seccomp modes of main thread and workers"
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
maps_of "$pid" >"$T/maps0"
wait_workers "$out" 2 14 0

xs_ok upload "$pid" fix "$T/fix.xsp"
assert_status "$pid" fix LOADED
xs_ok check "$pid" fix
mark=$(fsize "$out")
xs_ok apply "$pid" fix
wait_workers "$out" 2 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
maps_of "$pid" >"$T/maps1"
new_lines "$T/maps0" "$T/maps1" | awk '$2 ~ /^r-xp/' | grep -q . || fail "no r-x mapping for the payload's text"
mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 2 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute after revert"
xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads after unload"
maps_of "$pid" >"$T/maps2"
if new_lines "$T/maps0" "$T/maps2" | grep -v xsplice-state | grep -q .; then
	fail "mappings left after unload: $(new_lines "$T/maps0" "$T/maps2")"
fi

# the same as one action, and a second cycle leaves the maps as they were
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp" --id fix2
wait_workers "$out" 2 1007 "$mark"
xs_ok revert "$pid" fix2
xs_ok unload "$pid" fix2
maps_of "$pid" >"$T/maps3"
cmp -s "$T/maps2" "$T/maps3" || fail "maps differ after a second cycle: $(diff "$T/maps2" "$T/maps3" | head)"
steady_ticks "$out" 'compute\(7\)=14$'
assert_eq "$(seccomp_modes "$pid" | cut -d: -f2 | tr '\n' ' ')" "2 0 0 " "seccomp modes afterwards"
assert_no_file_match "$TERR" . "the target's stderr"

# 2. every thread is filtered: refused, naming the calls, nothing changed
start_ready "$T/thr" all
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the target did not install its filter"
assert_eq "$(seccomp_modes "$pid" | cut -d: -f2 | tr '\n' ' ')" "2 2 2 " "seccomp modes with TSYNC"
addr=$(addr_of "$out" compute)
snapshot all "$pid" "$addr" 16
for cmd in "upload $pid fix $T/fix.xsp" "load $pid $T/fix.xsp"; do
	# shellcheck disable=SC2086
	xs_fail 'Operation not permitted' $cmd
	grep -q "no thread's seccomp filter allows mprotect(.*, nor mmap(" "$XS_ERR" ||
		fail "the refusal does not say that no thread allows mprotect or mmap: $(xs_err)"
	assert_unchanged all "$cmd refused"
done
assert_eq "$(list_ids "$pid")" "" "payloads when every thread is filtered"
steady_ticks "$out" 'compute\(7\)=14$'
assert_no_file_match "$TERR" . "the target's stderr"

# 3. only the main thread is filtered, and only its frame's mask read is
# refused: every call (upload through unload) runs in a worker
start_ready "$T/thr" mask
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the mask target did not install its filter"
assert_eq "$(seccomp_modes "$pid" | cut -d: -f2 | tr '\n' ' ')" "2 0 0 " "seccomp modes of the mask target"
wait_workers "$out" 2 14 0
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp" --id fix
wait_workers "$out" 2 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
mark=$(fsize "$out")
xs_ok revert "$pid" fix
xs_ok unload "$pid" fix
wait_workers "$out" 2 14 "$mark"
assert_eq "$(list_ids "$pid")" "" "payloads in the mask target after unload"
steady_ticks "$out" 'compute\(7\)=14$'
assert_no_file_match "$TERR" . "the mask target's stderr"
