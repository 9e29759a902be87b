#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cache: --cache keeps the original build; the next fix compiles only its own
# file, both payloads work; a changed flag or source is a new key; a damaged,
# stale or locked entry means a full build, never a wrong payload.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

C=$T/cache
project ticker make

# cached_build DIFF OUT [ARGS...]: xsplice build with the cache, payload at OUT.
cached_build() {
	local diff=$1 out=$2
	shift 2
	xs_build_ok "$diff" --cache "$C" "$@"
	mv "$T/fix.xsp" "$out"
}
stored() { sed -n 's/^cache: original build stored in \([^ ]*\) .*/\1/p' "$XS_OUT"; }

# 1. The first fix builds the original tree and keeps it.
cached_build "$CASE_DIR/score.diff" "$T/score.xsp"
entry=$(stored)
[ -n "$entry" ] && [ -d "$entry/orig" ] || fail "the first build stored no original build: $(cat "$XS_OUT")"
assert_eq "$(cut -f2 "$entry/orig.compiles" | sort | tr '\n' ' ')" "calc.o main.o report.o " "objects of the first build's orig build"

# 2. The second fix (another file) reuses it: no orig build, and only calc.o
# compiled (report.o of the first fix is not in the restored tree).
cached_build "$CASE_DIR/other.diff" "$T/other.xsp" --work "$T/w2" --keep
assert_file_match "$XS_OUT" "^cache: original build reused from $entry "
[ ! -e "$T/w2/orig.compiles" ] && [ ! -e "$T/w2/orig.build.log" ] ||
	fail "the second build ran the original build: $(cat "$T/w2/orig.compiles" 2>/dev/null)"
assert_eq "$(cut -f2 "$T/w2/patched.compiles" | tr '\n' ' ')" "calc.o " "objects the second build compiled"

# Both payloads load and work, one on top of the other.
start_ready "$BIN"
expect_tick "$TOUT" ' score=[0-6] .* other=9$'
xs_ok load "$TPID" "$T/score.xsp"
expect_tick "$TOUT" ' score=10[0-6] .* other=9$'
xs_ok load "$TPID" "$T/other.xsp"
expect_tick "$TOUT" ' score=10[0-6] .* other=1009$'
steady_ticks "$TOUT" ' score=10[0-6] .* other=1009$'
xs_ok revert "$TPID" other
xs_ok revert "$TPID" score
expect_tick "$TOUT" ' score=[0-6] .* other=9$'
xs_ok unload "$TPID" other
xs_ok unload "$TPID" score

# 3. Another flag (same code) and another source (a comment) are new keys.
CFLAGS='-O2 -g' cached_build "$CASE_DIR/score.diff" "$T/flags.xsp"
flags_entry=$(stored)
[ -n "$flags_entry" ] && [ "$flags_entry" != "$entry" ] || fail "CFLAGS in the environment did not change the key: $(cat "$XS_OUT")"
echo '/* a comment */' >>"$SRC/calc.h"
cached_build "$CASE_DIR/score.diff" "$T/src.xsp" --cache-keep 2
src_entry=$(stored)
[ -n "$src_entry" ] && [ "$src_entry" != "$entry" ] && [ "$src_entry" != "$flags_entry" ] ||
	fail "a changed source file did not change the key: $(cat "$XS_OUT")"
# --cache-keep 2: the entry used least recently is gone
[ ! -e "$entry" ] && [ -d "$flags_entry/orig" ] && [ -d "$src_entry/orig" ] ||
	fail "--cache-keep 2 kept: $(ls "$C" | tr '\n' ' ')"

# 4. A damaged entry (a file of its original tree gone): a full build.
rm "$src_entry/orig/main.o"
cached_build "$CASE_DIR/other.diff" "$T/damaged.xsp"
assert_file_match "$XS_ERR" "cache: $src_entry: its original tree changed since it was stored: building from scratch"
assert_eq "$(stored)" "$src_entry" "entry stored again"

# 5. A stale entry (score's code in the cached report.o changed, size and
# time kept): the match against the target fails, then a full build works.
o=$src_entry/orig/report.o
off=$(readelf -SW "$o" | sed -n 's/^ *\[ *[0-9]*\] *\.text\.score  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
[ -n "$off" ] || fail "no .text.score in $o"
cp -p "$o" "$T/report.o.orig"
printf '\xcc\xcc' | dd of="$o" bs=1 seek=$((0x$off + 1)) conv=notrunc status=none
touch -r "$T/report.o.orig" "$o"
cached_build "$CASE_DIR/score.diff" "$T/stale.xsp"
assert_file_match "$XS_OUT" "^cache: original build reused from $src_entry "
assert_file_match "$XS_ERR" "cache: $src_entry: .*score \(report\.c\).*: building from scratch"
assert_eq "$(stored)" "$src_entry" "entry stored again after the mismatch"
cmp -s "$o" "$T/report.o.orig" || fail "the rebuilt entry still has the damaged report.o"
xs_ok info "$T/stale.xsp"
assert_file_match "$XS_OUT" '^  replace report\.c#score -> '

# 6. An entry in use by another build (its lock held): built without the cache.
: >"$T/held"
(exec 9>>"$src_entry.lock" && flock -n 9 && echo locked >"$T/held" && exec sleep 30) &
track_pid $!
wait_for_line "$T/held" '^locked$' 5 || fail "could not take the entry's lock"
cached_build "$CASE_DIR/score.diff" "$T/locked.xsp"
assert_file_match "$XS_ERR" "cache: $src_entry: in use by another xsplice build: building without the cache"
assert_no_file_match "$XS_OUT" '^cache: '
cmp -s "$T/locked.xsp" "$T/stale.xsp" || fail "the build without the cache wrote another payload than with it"

# 7. A target that a build from scratch does not match either (other flags):
# refused; the next build refuses the same way without building again.
BUILD_CMD="make CFLAGS='-O1 -g'"
xs_build "$CASE_DIR/score.diff" --cache "$C" && fail "a build with other flags than the target's was accepted"
xs_refused 'build does not match the target: score \(report\.c\)' build
xs_build "$CASE_DIR/score.diff" --cache "$C" && fail "a build with other flags than the target's was accepted"
xs_refused 'build does not match the target: score \(report\.c\)' build
assert_file_match "$XS_OUT" '^cache: original build reused from '
assert_no_file_match "$XS_ERR" 'building from scratch'

# --cache-keep without --cache, or not a count: a usage error.
xs_usage '--cache-keep .*: a number of entries from 1 to 1000, with --cache' build --src "$SRC" --patch "$CASE_DIR/score.diff" --target "$BIN" -o "$T/x.xsp" --cache-keep 2
xs_usage '--cache-keep .*: a number of entries from 1 to 1000, with --cache' build --src "$SRC" --patch "$CASE_DIR/score.diff" --target "$BIN" -o "$T/x.xsp" --cache "$C" --cache-keep 0
