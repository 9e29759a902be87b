# SPDX-License-Identifier: MIT
# The environ/optarg cycle of the extern_env_* cases: bonus() gains the value
# of EXTERNS_BONUS (read through environ) and 1000 * the -b argument (optarg).
nm -D "$BIN" | grep -q ' environ' && fail "the target has its own copy of environ: the case tests the other way"
nm -D "$BIN" | grep -q ' optarg' || fail "the target has no copy of optarg: the case tests the other way"
xs_build_ok "$XSPLICE_ROOT/tests/builder/extern_env_pie/fix.diff"
EXTERNS_BONUS=100 start_ready "$BIN" -b 40
expect_tick "$TOUT" ' base=40 bonus=[01] scaled=6$'
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' base=40 bonus=4010[01] scaled=6$'
steady_ticks "$TOUT" ' bonus=4010[01] '
xs_ok revert "$TPID" fix
expect_tick "$TOUT" ' base=40 bonus=[01] scaled=6$'
xs_ok unload "$TPID" fix
