#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# built_tree: --src was built already and keeps a stamp file (.prereq, like
# redis's .make-prerequisites) that makes make skip building dep/dep.o. A
# git work tree is copied without its ignored files (the build products and
# the stamp): the build works. Any other tree: refused, naming the stamp and
# what to do.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

command -v git >/dev/null || fail "git is not installed"
project stamped make
[ -e "$SRC/.prereq" ] || fail "no stamp file in $SRC"

refused "^xsplice: build: building the orig tree failed \(make\): .*dep/dep\.o.*; $SRC was built before \(it held [^)]*\) and leftovers such as \.prereq make the build skip steps: start from a clean tree \('make distclean' in a copy" \
	"$CASE_DIR/fix.diff"

git -C "$SRC" init -q
git -C "$SRC" add -A
git -C "$SRC" -c user.name=t -c user.email=t@t commit -qm tree
assert_eq "$(git -C "$SRC" ls-files | grep -c prereq || true)" 0 "the stamp file in git"
xs_build_ok "$CASE_DIR/fix.diff"
assert_file_match "$XS_ERR" "^build: copy of the source tree's git files, not the ignored ones \(" "stderr"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
cycle ' value=1[0-4]$' ' value=10[0-4]$'
