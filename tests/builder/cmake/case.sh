#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmake: a CMake project, built out of the source tree as the operator does;
# the source also holds the operator's in-tree build directory b/ (its cache
# names $SRC, so the builder must drop it). `xsplice build --build "cmake
# ..."` builds both versions at one path, so CMake's cache stays valid.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

command -v cmake >/dev/null || fail "cmake is not installed"
SRC=$T/src
BIN=$T/build/prog
BUILD_CMD="cmake -S . -B b -DCMAKE_BUILD_TYPE=Release && cmake --build b"
cp -r "$PROJECTS_DIR/cmake" "$SRC"
for dir in "$T/build" "$SRC/b"; do
	(timeout -k 2 60 cmake -S "$SRC" -B "$dir" -DCMAKE_BUILD_TYPE=Release &&
		timeout -k 2 60 cmake --build "$dir") >>"$T/project-build.log" 2>&1 ||
		fail "building the cmake project in $dir failed: $(tail -n 5 "$T/project-build.log")"
done
[ -x "$BIN" ] || fail "cmake did not produce $BIN"
[ -f "$SRC/b/CMakeCache.txt" ] || fail "no in-tree CMake cache in $SRC/b"

xs_build_ok "$CASE_DIR/fix.diff"
assert_file_match "$XS_OUT" "^$T/fix\.xsp: scale \(for $BIN, build-id $("$XSPLICE" build-id "$BIN")\)$"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace calc\.c#scale -> '
cycle ' calc=16$' ' calc=123$'
