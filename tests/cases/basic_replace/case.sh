#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# basic_replace: load / revert / unload on a 4-thread target; asserts what
# every thread computes, the code bytes, list/get, and the maps afterwards.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"
maps_of "$pid" >"$T/maps0"
assert_eq "$(list_ids "$pid")" "" "payloads before the first load"

# build-id of the executable, as a file and as a process
xs_ok build-id "$T/compute"
bid=$(tr -d '[:space:]' <"$XS_OUT")
assert_match "$bid" '^[0-9a-f]{8,}$' "build-id of the target"
xs_ok build-id "$pid"
assert_eq "$(tr -d '[:space:]' <"$XS_OUT")" "$bid" "build-id of pid $pid"

# load: every worker and the main thread see the new compute
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp"
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
assert_eq "$(list_status "$pid" fix)" APPLIED "list status"
assert_status "$pid" fix APPLIED
assert_eq "$(get_field "$pid" fix rc)" 0 "rc"
assert_eq "$(get_field "$pid" fix funcs)" 1 "funcs"
assert_eq "$(get_field "$pid" fix target)" "$bid" "target build-id"
assert_eq "$(get_field "$pid" fix object)" "$T/compute" "patched object"
assert_eq "$(get_field "$pid" fix depends)" "-" "depends"
code=$(read_code "$pid" "$addr" 16)
assert_eq "${code:0:2}" e9 "first byte at compute after apply (jmp rel32)"
assert_eq "${code:15}" "${orig:15}" "bytes after the 5-byte jump"
maps_of "$pid" >"$T/maps_loaded"
new_lines "$T/maps0" "$T/maps_loaded" >"$T/added"
say "mappings added by load:"; sed 's/^/    /' "$T/added" >&3
awk '$2 ~ /x/' "$T/added" | grep -q . || fail "no new executable mapping after load"

# revert: old behaviour and the original bytes
mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_status "$pid" fix REVERTED
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute after revert"

# unload: list empty, the payload's mappings are gone
xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads after unload"
xs_fail 'No such file or directory' get "$pid" fix
maps_of "$pid" >"$T/maps1"
while read -r line; do
	if grep -qxF "$line" "$T/maps1"; then
		if printf '%s\n' "$line" | awk '$2 ~ /x/' | grep -q .; then
			fail "payload mapping still there after unload: $line"
		fi
	fi
done <"$T/added"
new_lines "$T/maps0" "$T/maps1" >"$T/left"
[ "$(wc -l <"$T/left")" -le 1 ] || fail "mappings left after unload: $(cat "$T/left")"
if [ -s "$T/left" ]; then say "kept after unload (registry?): $(cat "$T/left")"; fi
steady_ticks "$out" 'compute\(7\)=14$'

# a second cycle leaves the maps exactly as they were
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp" --id fix2
wait_workers "$out" 4 1007 "$mark"
xs_ok revert "$pid" fix2
xs_ok unload "$pid" fix2
maps_of "$pid" >"$T/maps2"
cmp -s "$T/maps1" "$T/maps2" || fail "maps differ after a second load/revert/unload: $(diff "$T/maps1" "$T/maps2" | head)"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute at the end"
steady_ticks "$out" 'compute\(7\)=14$'
assert_alive "$pid"
