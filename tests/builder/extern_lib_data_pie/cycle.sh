# SPDX-License-Identifier: MIT
# The cycle of the extern_lib_data_* cases: bonus() in the executable reads
# liblevel.so's `level` (3) and sets it to 5; the library's scaled(2) must
# then return 10: the write reached the library's own variable.
nm -D "$BIN" | grep -q ' level' && fail "the target has its own copy of level: the case tests the other way"
xs_build_ok "$XSPLICE_ROOT/tests/builder/extern_lib_data_pie/fix.diff"
start_ready "$BIN"
expect_tick "$TOUT" ' base=0 bonus=[01] scaled=6$'
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' bonus=50[01] scaled=10$'
grep -Eq '^tick .* bonus=30[01] ' "$TOUT" || fail "no tick shows the first read of level (3): $(grep -m3 'bonus=[1-9]' "$TOUT" | tr '\n' '|')"
steady_ticks "$TOUT" ' bonus=50[01] scaled=10$'
xs_ok revert "$TPID" fix
expect_tick "$TOUT" ' bonus=[01] scaled=10$'
xs_ok unload "$TPID" fix
