#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# phases: `xsplice build` prints each step with its time on stderr, checks
# that the diff applies before the original build, works in $TMPDIR and
# leaves nothing there (unless --keep), names no file of its removed work
# directory, and runs a --build of several commands with CC given to each
# make (the Makefile sets CC = gcc itself).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project onecmd make app
BUILD_CMD='make && make extra'
mkdir "$T/tmp"
export TMPDIR=$T/tmp
nothing_left() {
	[ -z "$(ls -A "$T/tmp")" ] || fail "$1 left $(ls -A "$T/tmp") in TMPDIR"
}

xs_build_ok "$CASE_DIR/fix.diff"
steps=$(sed -n 's/^build: \(.*\) ([0-9]*\.[0-9][0-9] s)$/\1/p' "$XS_ERR" | tr '\n' ',')
assert_eq "$steps" "copy of the source tree,diff applies,original build,patched build,diff,match,emit," "steps on stderr"
nothing_left "a build"

# --keep: the work directory is in TMPDIR; both commands built there,
# through the compiler wrapper
xs_build_ok "$CASE_DIR/fix.diff" --keep
work=$(sed -n 's/^build: work directory \(.*\) kept$/\1/p' "$XS_ERR")
case "$work" in
"$T"/tmp/xsplice-build.*) ;;
*) fail "work directory '$work' is not in TMPDIR $T/tmp" ;;
esac
[ -x "$work/tree/tool" ] || fail "'make extra' did not build tool"
grep -q "	tool	0" "$work/orig.links" || fail "'make extra' did not link through the wrapper: $(cat "$work/orig.links")"
rm -rf "$work"
cycle ' value=1[0-4]$' ' value=10[0-4]$'

# refused before the original build
refused "^xsplice: build: the diff $CASE_DIR/stale\.diff does not apply to $SRC with -p1 or -p0: .*FAILED" \
	"$CASE_DIR/stale.diff"
assert_no_file_match "$XS_ERR" '^build: original build' "stderr of a diff that does not apply"
assert_no_file_match "$XS_ERR" "$T/tmp" "stderr of a diff that does not apply"
nothing_left "a diff that does not apply"

# the compiler's error, relative to the tree
refused '^xsplice: build: building the patched tree failed \(make && make extra\): app\.c:[0-9]+:[0-9]+: error: ' \
	"$CASE_DIR/broken.diff"
assert_no_file_match "$XS_ERR" "$T/tmp" "stderr of a failed build"
nothing_left "a failed build"
