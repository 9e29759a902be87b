#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_struct_layout: a field added to a heap-allocated struct the running
# process holds: refused, naming the struct, what moved and the functions.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project conns make
refused '^xsplice: build: conn\.o \(linked into conns\): struct conn: new member flags at offset 8, member hits moved from offset 8 to 16, member name moved from offset 16 to 24 \(size 32 -> 40\), used by .*conn_touch.* \(conn\.c\); add new state with a shadow variable \(docs/builder\.md\): Operation not supported$' "$CASE_DIR/fix.diff"
for f in conn_new conn_touch conn_describe; do
	grep -q "$f" "$XS_ERR" || fail "the refusal does not name $f: $(cat "$XS_ERR")"
done
# the operator who knows no such object outlives the patch can say so
xs_build_ok "$CASE_DIR/fix.diff" --allow-layout other,conn
grep -q '^xsplice: build: warning: struct conn: .*; allowed by --allow-layout$' "$XS_ERR" ||
	fail "--allow-layout conn: no warning naming struct conn: $(cat "$XS_ERR")"
rm -f "$T/fix.xsp"
# nothing was loaded: the running program goes on as before
start_ready "$BIN"
expect_tick "$TOUT" ' c0 hits=[0-9]+ c[0-9]+ hits=[0-9]+$'
xs_ok list "$TPID"
grep -qv "^ID " "$XS_OUT" && fail "a payload is loaded after a refused build: $(cat "$XS_OUT")"
true
