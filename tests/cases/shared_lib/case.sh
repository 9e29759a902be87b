#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shared_lib: patch a function of a shared library the target links with.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/libcalc.so" "$CASE_DIR/libcalc.c" -- -shared -fPIC
build_target "$T/calc" "$TARGETS_DIR/compute.c" -- -DCOMPUTE_IN_LIB -L"$T" -lcalc -Wl,-rpath,"$T"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/libcalc.so"
xs_ok build-id "$T/libcalc.so"
libbid=$(tr -d '[:space:]' <"$XS_OUT")

start_ready "$T/calc" 4
pid=$TPID out=$TOUT
wait_workers "$out" 4 14 0
grep -q "$T/libcalc.so" "/proc/$pid/maps" || fail "libcalc.so is not mapped in the target"
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)

mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp"
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
assert_status "$pid" fix APPLIED
assert_eq "$(get_field "$pid" fix target)" "$libbid" "target build-id (libcalc.so)"
assert_eq "$(get_field "$pid" fix object)" "$T/libcalc.so" "patched object"
assert_eq "$(read_code "$pid" "$addr" 1)" e9 "first byte of libcalc's compute"

mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after revert"
xs_ok unload "$pid" fix
steady_ticks "$out" 'compute\(7\)=14$'

# a payload for the library is refused by a process without it
build_target "$T/compute" "$TARGETS_DIR/compute.c"
start_ready "$T/compute" 1
pid2=$TPID
snapshot other "$pid2" "$(addr_of "$TOUT" compute)" 16
xs_fail . upload "$pid2" fix "$T/fix.xsp"
grep -Eqi 'build.?id|libcalc|not found|no object' "$XS_ERR" || fail "refusal does not say the library is missing: $(xs_err)"
assert_unchanged other "refused upload"
