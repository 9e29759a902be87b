#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_options: --timeout and PID parsed strictly. 9223372036854775807 used
# to pass (strtol's LONG_MAX) and overflow the deadlines computed from it
# in microseconds.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
snapshot checked "$pid" "$addr" 16

# ERE matching the text itself (+ and . are in the values)
quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

for v in 1e3 -5 99999999999999999999 10x 0x10 '' ' 5' +5 0 3600001 9223372036854775807 \
	18446744073709551616; do
	q=$(quote "$v")
	for cmd in apply revert replace; do
		xs_usage "usage: --timeout '$q': .*Invalid argument" "$cmd" "$pid" fix --timeout "$v"
	done
	xs_usage "usage: --timeout '$q'" load "$pid" "$T/fix.xsp" --id other --timeout "$v"
done
for p in "+$pid" " $pid" "${pid}x" "-$pid" 99999999999999999999 0 ''; do
	q=$(quote "$p")
	xs_usage "'$q' is not a process id" apply "$p" fix
	xs_usage "'$q' is not a process id" list "$p"
done
assert_unchanged checked "refused options"
assert_status "$pid" fix CHECKED
assert_eq "$(list_ids "$pid")" fix "payloads after the refusals"
steady_ticks "$out" 'compute\(7\)=14$'

# the bounds themselves are accepted
mark=$(fsize "$out")
xs_ok apply "$pid" fix --timeout 3600000
wait_workers "$out" 4 1007 "$mark"
mark=$(fsize "$out")
# 1 ms may be too short to stop every thread on a loaded machine: busy, retried
xs_ok revert "$pid" fix --timeout 1 --retry 50
wait_workers "$out" 4 14 "$mark"
