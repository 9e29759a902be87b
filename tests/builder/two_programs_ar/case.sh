#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# two_programs_ar: two_programs, with each program's copy of shared.c linked
# from a static archive of its own (ar does not go through $CC: the builder
# looks for the object in the archives each link names).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project twoprog "make -f Makefile.ar" app
[ -f "$SRC/libapp_cov.a" ] || fail "twoprog did not build libapp_cov.a"
XSPLICE_DEBUG=1 xs_build_ok "$XSPLICE_ROOT/tests/builder/two_programs/fix.diff"
assert_file_match "$XS_ERR" 'app_cov-shared\.o is linked into app_cov, not into --target' "debug output"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
cycle ' value=1[0-4] limit=3$' ' value=10[0-4] limit=3$'
refused '^xsplice: build: app-shared\.o \(linked into app\): shared\.c: limit: initial value of existing data changes' \
	"$XSPLICE_ROOT/tests/builder/two_programs/limit.diff"
