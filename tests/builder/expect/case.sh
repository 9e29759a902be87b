#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# expect: every function a built payload replaces carries the bytes the
# target binary has at its entry (after endbr64: -fcf-protection=full), up
# to 32 and never past its end, as `xsplice info --json` shows them; the
# payload loads into the process running that binary.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

[ "$HAVE_PYTHON" = 1 ] || fail "python3 is needed to read info --json"
project ticker "make CFLAGS='-O2 -g -fPIE -fcf-protection=full' LDFLAGS='-pie'"
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp" --json
"$PYTHON" -c '
import json, sys
for f in json.load(open(sys.argv[1]))["funcs"]:
    print(f["old"], f["expect"] or "-")' "$XS_OUT" >"$T/expects"
say "$(cat "$T/expects")"
assert_eq "$(awk '{ print $1 }' "$T/expects" | sort | tr '\n' ' ')" "calc other report " "replaced functions"

# hex_at ADDR LEN: LEN bytes of $BIN at link-time address ADDR (in .text).
read -r text_addr text_off < <(readelf -SW "$BIN" |
	awk '$2 == ".text" { print $4, $5 } $3 == ".text" { print $5, $6 }')
hex_at() {
	dd if="$BIN" bs=1 skip=$((0x$text_off + $1 - 0x$text_addr)) count="$2" status=none |
		od -An -tx1 -v | tr -d ' \n'
}
while read -r name expect; do
	read -r value size < <(nm -S "$BIN" | awk -v n="$name" '$4 == n && $3 ~ /^[Tt]$/ { print $1, $2 }')
	[ -n "$value" ] || fail "$name is not in $BIN's symbol table"
	start=$((0x$value)) len=$((0x$size))
	if [ "$(hex_at "$start" 4)" = f30f1efa ]; then # endbr64: the patch goes after it
		start=$((start + 4)) len=$((len - 4))
	fi
	[ "$len" -gt 32 ] && len=32
	assert_eq "$expect" "$(hex_at "$start" "$len")" "expected bytes of $name"
done <"$T/expects"
cycle ' calc=15 off=1 other=9$' ' calc=1014 off=1000 other=-990$'
