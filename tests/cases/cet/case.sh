#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cet: target built -fcf-protection=full; the jump goes after endbr64 so an
# indirect call (IBT) still lands on endbr64.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c" -- -fcf-protection=full
first=$(objdump -d --no-show-raw-insn --disassemble=compute "$T/compute" |
	awk '/<compute>:/ { getline; print $2; exit }')
assert_eq "$first" endbr64 "first instruction of compute in the file"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"
assert_eq "${orig:0:11}" "f3 0f 1e fa" "endbr64 at compute in memory"

mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp"
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
code=$(read_code "$pid" "$addr" 16)
assert_eq "${code:0:14}" "f3 0f 1e fa e9" "endbr64 + jmp at compute after apply"
assert_eq "${code:27}" "${orig:27}" "bytes after endbr64 + jmp"

mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after revert"
xs_ok unload "$pid" fix
steady_ticks "$out" 'compute\(7\)=14$'
