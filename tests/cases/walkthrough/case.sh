#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# walkthrough: README.md's five-minute walk-through, followed literally.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

readme=$XSPLICE_ROOT/README.md

# block FIRST_LINE: the fenced block of README.md whose first line is FIRST_LINE.
block() {
	awk -v first="$1" '
		/^```/ { if (inb) { if (hit) exit; inb = 0 } else { inb = 1; n = 0 } next }
		inb && n++ == 0 && $0 == first { hit = 1 }
		inb && hit { print }' "$readme"
}

# Every command the case runs is in the README as written there.
in_readme() { grep -qF -- "$1" "$readme" || fail "README.md no longer says: $1"; }
for cmd in 'cp demo/walkthrough/server.c . && gcc -O2 -g -o server server.c' './server &' \
	'xsplice cc --target ./server -o fix.xsp fix.c' 'xsplice info fix.xsp' \
	'xsplice load 4242 fix.xsp' 'ask hello' 'xsplice list 4242' 'xsplice revert 4242 fix' \
	'xsplice unload 4242 fix'; do
	in_readme "$cmd"
done
ask_def=$(grep '^ask() {' "$readme" | sed 's/ *# bash$//')
[ -n "$ask_def" ] || fail "README.md has no ask() helper"
block '/* fix.c */' >"$T/fix1.c"
block '/* fix.c, with serve() too */' >"$T/fix2.c"
grep -q '^xsplice: cc: ' "$readme" || fail "README.md shows no refusal"
grep '^xsplice: cc: ' "$readme" >"$T/refusal.expected"
[ -s "$T/fix1.c" ] && [ -s "$T/fix2.c" ] || fail "README.md's fix.c blocks not found"

cd "$T"
cp "$XSPLICE_ROOT/demo/walkthrough/server.c" . && gcc -O2 -g -o server server.c
start_target ./server 0 # 0: a free port, where the README's server takes 7000
wait_for_line "$TOUT" 'listening on 127.0.0.1:[0-9]+$' 10 || fail "server did not start: $(cat "$TERR")"
pid=$TPID
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$TOUT")
ask() { timeout 5 bash -c "${ask_def/7000/$port}; ask $1" 3>&-; }
assert_eq "$(ask hello)" "checksum 542" "the bug"

# The first fix.c: refused exactly as the README shows, no payload written.
cp fix1.c fix.c
if xs cc --target ./server -o fix.xsp fix.c; then
	fail "xsplice cc accepted a payload whose function is inlined into serve"
fi
[ "$XS_RC" = 1 ] || fail "cc exit code $XS_RC"
diff "$T/refusal.expected" "$XS_ERR" >&3 || fail "cc's refusal is not the one README.md shows"
[ ! -e fix.xsp ] || fail "a refused cc left fix.xsp"
assert_eq "$(ask hello)" "checksum 542" "the bug, after the refusal"

# With serve() too: it loads, and the running server is fixed.
cp fix2.c fix.c
xs_ok cc --target ./server -o fix.xsp fix.c
[ ! -s "$XS_ERR" ] || fail "cc warned: $(cat "$XS_ERR")"
xs_ok info fix.xsp
assert_file_match "$XS_OUT" 'checksum'
xs_ok load "$pid" fix.xsp
[ ! -s "$XS_ERR" ] || fail "load warned: $(cat "$XS_ERR")"
assert_eq "$(ask hello)" "checksum 532" "the fix"
assert_eq "$(list_status "$pid" fix)" APPLIED "list"
xs_ok revert "$pid" fix
assert_eq "$(ask hello)" "checksum 542" "after revert"
xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads after unload"
assert_alive "$pid"
