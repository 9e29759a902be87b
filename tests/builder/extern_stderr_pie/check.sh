# SPDX-License-Identifier: MIT
# stderr_cycle: build fix.diff (calc() gains fprintf(stderr, "calc %d\n", x)) for a
# ticker that has no copy of stderr, load it: "calc 7" lines reach the target's
# stderr; revert: they stop. Shared by the extern_stderr_* cases.
stderr_cycle() {
	if nm -D "$BIN" | grep -q ' stderr'; then
		fail "the target already has its own copy of stderr: the case tests the other way"
	fi
	xs_build_ok "$XSPLICE_ROOT/tests/builder/extern_stderr_pie/fix.diff"
	start_ready "$BIN"
	expect_tick "$TOUT" ' calc=15 off=1 other=9$'
	[ ! -s "$TERR" ] || fail "the target wrote to stderr before the fix: $(head -c 200 "$TERR")"
	xs_ok load "$TPID" "$T/fix.xsp"
	wait_for_line "$TERR" '^calc 7$' 5 || fail "no 'calc 7' on the target's stderr after load"
	expect_tick "$TOUT" ' calc=15 off=1 other=9$'
	xs_ok revert "$TPID" fix
	steady_ticks "$TOUT" ' calc=15 '
	local n
	n=$(wc -l <"$TERR")
	steady_ticks "$TOUT" ' calc=15 '
	assert_eq "$(wc -l <"$TERR")" "$n" "stderr lines after revert"
	xs_ok unload "$TPID" fix
}
