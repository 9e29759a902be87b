#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# json_bytes: --json output stays valid JSON whatever bytes the names hold.
# The target's compute() and the payload's functions are renamed by
# overwriting their names in the ELF files (same length, no NUL, no '@' or
# '#' that the symbol lookup gives a meaning).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

[ "$HAVE_PYTHON" = 1 ] || fail "python3 is needed to check the JSON"
# a directory whose name has a control character, a quote, a backslash and
# a byte that is never UTF-8: it becomes the object path in the registry
dir=$T/$'odd\x01"\\\xff\x1b[1m'
mkdir "$dir"
build_target "$dir/compute" "$TARGETS_DIR/compute.c" -- -Dcompute=xsjsonoldAAAAAAAAAAAAAAAA
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$dir/compute"

"$PYTHON" "$CASE_DIR/names.py" "$dir/compute" "$T/fix.xsp"

# json_check FILE PYEXPR: FILE parses with json.tool (strict UTF-8) and
# PYEXPR holds, with d the data, old/new the names and obj the target's path
# as a JSON reader must see them (names.py).
json_check() {
	"$PYTHON" -m json.tool "$1" >/dev/null 2>"$T/json.err" ||
		fail "not valid JSON: $(cat "$T/json.err"); output: $(head -c 300 "$1" | od -c | head -n 8)"
	"$PYTHON" -c 'import json, sys
sys.path.insert(0, sys.argv[3])
import names
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
old, new = names.want(names.OLD), names.want(names.NEW)
obj = names.want(sys.argv[4].encode("utf-8", "surrogateescape"))
ok = eval(sys.argv[2])
if not ok:
    print("got:", ascii(d), "want:", ascii(old), ascii(new), ascii(obj))
sys.exit(0 if ok else 1)' "$1" "$2" "$CASE_DIR" "$dir/compute" || fail "the JSON does not hold the names: $2"
}

xs_ok info "$T/fix.xsp" --json
json_check "$XS_OUT" 'd["funcs"][0]["old"] == old and d["funcs"][0]["new"] == new'

start_compute "$dir/compute"
xs_ok load "$pid" "$T/fix.xsp" --id fix
wait_workers "$out" 4 1007 0
xs_ok list "$pid" --json
json_check "$XS_OUT" 'd["payloads"][0]["id"] == "fix" and d["payloads"][0]["object"] == obj and d["payloads"][0]["status"] == "APPLIED" and [f["old"] for f in d["payloads"][0]["funcs"]] == [old]'
xs_ok get "$pid" fix --json
json_check "$XS_OUT" 'd["id"] == "fix" and [f["old"] for f in d["funcs"]] == [old] and d["object"] == obj'
mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
