#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# adjacent_sites: sites a few bytes apart are read and written in one run
# (src/target/code_runs.c); the bytes between them, another function's, stay as
# they were, through apply and revert.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/three" "$CASE_DIR/three.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/three"
start_ready "$T/three"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" ret_a)
orig=$(read_code "$pid" "$addr" 18)
assert_eq "$orig" "b8 01 00 00 00 c3 b8 02 00 00 00 c3 b8 03 00 00 00 c3" "the three functions' bytes"
steady_ticks "$out" ' a=1 b=2 c=3$'

xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
# The run reads and changes the sites' code before it stops the process
# (src/engine/patch.c, xs_sites_edit_ahead). ret_b, between the two sites, changes
# after that and before the stop (ret_b now returns 5): the stop must see it
# and write the sites around the new byte, not the copy it made.
hold_run before-stop apply "$pid" fix
write_code "$pid" $((addr + 7)) 05
release_held
assert_eq "$HELD_RC" 0 "apply with ret_b changed before the stop"
assert_status "$pid" fix APPLIED
code=$(read_code "$pid" "$addr" 18)
say "after apply: $code"
assert_eq "${code:0:2}" e9 "ret_a starts with a jump"
assert_eq "${code:18:17}" "b8 05 00 00 00 c3" "ret_b, between the two sites, as changed"
assert_eq "${code:36:2}" e9 "ret_c starts with a jump"
steady_ticks "$out" ' a=10 b=5 c=30$'

# A site changed behind xsplice's back after it made its copy (ret_a's
# original bytes put back by hand): the revert is refused in the stop, with
# nothing written.
hold_run before-stop revert "$pid" fix
write_code "$pid" "$addr" b8 01 00 00 00
release_held
assert_ne "$HELD_RC" 0 "revert with ret_a's site changed behind its back"
assert_file_match "$T/held.err" "^xsplice: .*payload fix: code at 0x[0-9a-f]+ changed behind xsplice's back"
changed=$(read_code "$pid" "$addr" 18)
assert_eq "${changed:0:14}" "b8 01 00 00 00" "ret_a as put back by hand"
assert_eq "${changed:15:38}" "${code:15:38}" "ret_b and ret_c's jump, untouched by the refused revert"
steady_ticks "$out" ' a=1 b=5 c=30$'

# With the jump put back, the revert goes through.
write_code "$pid" "$addr" ${code:0:14}
xs_ok revert "$pid" fix
assert_eq "$(read_code "$pid" "$addr" 18)" "b8 01 00 00 00 c3 b8 05 00 00 00 c3 b8 03 00 00 00 c3" \
	"the three functions after revert, ret_b as changed"
steady_ticks "$out" ' a=1 b=5 c=3$'
xs_ok unload "$pid" fix
assert_alive "$pid" "target after unload"
