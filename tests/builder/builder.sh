# SPDX-License-Identifier: MIT
# Helpers for the patch builder's cases (tests/builder/<case>/case.sh), on
# top of tests/lib.sh: build a project from tests/builder/projects/, run
# `xsplice build` on it, and the load -> new behaviour -> revert -> old
# behaviour cycle.
#
# Usage at the top of a case.sh:
#   . "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
#   . "$XSPLICE_ROOT/tests/builder/builder.sh"

PROJECTS_DIR=$XSPLICE_ROOT/tests/builder/projects
SRC=
BIN=
BUILD_CMD=

# project NAME BUILD_CMD [BIN]: copy the project to $T/src and build it there with
# BUILD_CMD (e.g. "make CFLAGS='-O0 -g'"); sets SRC, BIN ($T/src/BIN, default NAME), BUILD_CMD.
project() {
	SRC=$T/src
	BIN=$SRC/${3:-$1}
	BUILD_CMD=$2
	cp -r "$PROJECTS_DIR/$1" "$SRC"
	(cd "$SRC" && timeout -k 2 60 sh -c "$BUILD_CMD") >"$T/project-build.log" 2>&1 ||
		fail "building project $1 with '$BUILD_CMD' failed: $(tail -n 5 "$T/project-build.log")"
	[ -x "$BIN" ] || fail "project $1 did not produce $BIN"
}

# xs_build DIFF [MORE ARGS...]: `xsplice build` of $T/fix.xsp for $BIN (may fail; see xs).
xs_build() {
	local diff=$1
	shift
	xs build --src "$SRC" --patch "$diff" --target "$BIN" -o "$T/fix.xsp" --build "$BUILD_CMD" "$@"
}

xs_build_ok() {
	xs_build "$@" || fail "xsplice build failed (exit $XS_RC): $(head -c 2000 "$XS_ERR")"
	[ -s "$T/fix.xsp" ] || fail "xsplice build did not write $T/fix.xsp"
	grep '^timings:' "$XS_OUT" >&3 || true
}

# cycle OLD_ERE NEW_ERE: start $BIN, see OLD, load fix.xsp, see NEW, revert,
# see OLD again, unload. Leaves the target running (pid in TPID).
cycle() {
	local old=$1 new=$2
	start_ready "$BIN"
	expect_tick "$TOUT" "$old"
	xs_ok load "$TPID" "$T/fix.xsp"
	expect_tick "$TOUT" "$new"
	steady_ticks "$TOUT" "$new"
	xs_ok revert "$TPID" fix
	expect_tick "$TOUT" "$old"
	steady_ticks "$TOUT" "$old"
	xs_ok unload "$TPID" fix
}

# refused ERE DIFF: `xsplice build` refuses with one line matching ERE, and
# writes no payload.
refused() {
	local re=$1 diff=$2
	rm -f "$T/fix.xsp"
	if xs_build "$diff"; then
		fail "xsplice build succeeded but must be refused"
	fi
	xs_refused "$re" "build"
	[ ! -e "$T/fix.xsp" ] || fail "a refused build left $T/fix.xsp behind"
}
