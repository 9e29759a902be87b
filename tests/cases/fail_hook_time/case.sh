#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_hook_time: hooks run with the process stopped, so their time is
# bounded per stop and per call. Before, each call had 5 s and a stop no
# bound at all: forged payloads held a process stopped for seconds.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/pre.xsp" "$CASE_DIR/slow.c" "$T/compute" -- -DSLOW_HOOK=XSPLICE_PRE_APPLY_HOOK
build_payload "$T/post.xsp" "$CASE_DIR/slow.c" "$T/compute" -- -DSLOW_HOOK=XSPLICE_APPLY_HOOK
build_payload "$T/spin.xsp" "$CASE_DIR/spin.c" "$T/compute"
start_compute "$T/compute"
export XSPLICE_STOPS=$T/stops

# timed_fail ERE MAX_MS ARGS...: refused with one line matching ERE within
# MAX_MS, and no stop of the process (XSPLICE_STOPS) longer than MAX_MS
timed_fail() {
	local re=$1 max=$2 start ms longest
	shift 2
	: >"$XSPLICE_STOPS"
	start=$(date +%s%N)
	xs "$@" && fail "xsplice $* succeeded but must be refused"
	ms=$((($(date +%s%N) - start) / 1000000))
	xs_refused "$re" "$*"
	longest=$(awk '{ d = ($3 - $2) / 1000000; if (d > m) m = d } END { printf "%d", m }' "$XSPLICE_STOPS")
	say "  took $ms ms, the longest stop $longest ms"
	[ "$ms" -le "$max" ] || fail "xsplice $* took $ms ms, more than $max"
	[ "$longest" -le "$max" ] || fail "xsplice $* held the process stopped $longest ms, more than $max"
}

# 1. slow pre_apply hooks: the command's timeout, then the 2 s cap
xs_ok upload "$pid" pre "$T/pre.xsp"
xs_ok check "$pid" pre
snapshot pre "$pid" "$addr" 16
timed_fail 'payload pre: pre_apply hook [0-9]+ .*(1000|did not return)' 1600 apply "$pid" pre --timeout 1000
timed_fail 'payload pre: pre_apply hook [0-9]+ .*(2000|did not return)' 2600 apply "$pid" pre --timeout 60000
assert_status "$pid" pre CHECKED
assert_unchanged pre "slow pre_apply hooks"
steady_ticks "$out" 'compute\(7\)=14$'
xs_ok unload "$pid" pre

# 2. slow apply hooks, after the switch: out of time, the switch is undone
xs_ok upload "$pid" post "$T/post.xsp"
xs_ok check "$pid" post
snapshot post "$pid" "$addr" 16
timed_fail 'payload post: apply hook [0-9]+ ' 1600 apply "$pid" post --timeout 1000
assert_status "$pid" post CHECKED
assert_unchanged post "slow apply hooks"
steady_ticks "$out" 'compute\(7\)=14$'
xs_ok unload "$pid" post

# 3. a load hook that never returns: upload fails, nothing left behind
snapshot spin "$pid" "$addr" 16
timed_fail 'payload spin: load hook 0 did not return within' 1600 upload "$pid" spin "$T/spin.xsp"
assert_eq "$(list_ids "$pid")" "" "payloads after the refused upload"
assert_unchanged spin "a load hook that never returns"
steady_ticks "$out" 'compute\(7\)=14$'
