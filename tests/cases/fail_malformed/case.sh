#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_malformed: hostile or ill-fitting payloads are refused and the process
# is left exactly as it was.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/mal" "$CASE_DIR/mal.c"
build_target "$T/other" "$CASE_DIR/mal.c" -- -DOTHER_BUILD
build_payload "$T/good.xsp" "$CASE_DIR/good.c" "$T/mal"
start_ready "$T/mal"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
tiny=$(addr_of "$out" tiny_fn)
tiny_orig=$(read_code "$pid" "$tiny" 8)
expect_tick "$out" 'compute\(7\)=14$'
snapshot base "$pid" "$addr" 32

# unchanged WHAT [quick]: maps and code; and (unless quick) no payload
# listed and the target still computes the old result
unchanged() {
	assert_unchanged base "$1"
	assert_eq "$(read_code "$pid" "$tiny" 8)" "$tiny_orig" "tiny_fn ($1)"
	[ -n "${2:-}" ] && return 0
	assert_eq "$(list_ids "$pid")" "" "payloads ($1)"
	steady_ticks "$out" 'compute\(7\)=14$'
}

# --- structural damage: refused by info and by upload -------------------
# bad NAME ERRNO_ERE [MESSAGE_ERE]: $T/NAME.xsp is refused
bad() {
	local name=$1 re=$2 what=${3:-}
	say "--- $name"
	xs_fail "$re" info "$T/$name.xsp"
	xs_fail "$re" upload "$pid" "$name" "$T/$name.xsp"
	if [ -n "$what" ]; then
		grep -Eqi -- "$what" "$XS_ERR" || fail "$name: message does not name /$what/: $(xs_err)"
	fi
	unchanged "$name" quick
}
good=$T/good.xsp
size=$(stat -c %s "$good")
shoff=$(read_uint "$good" 40 8)
shnum=$(read_uint "$good" 60 2)

: >"$T/empty.xsp"
bad empty 'Invalid argument|Exec format error'
printf 'this is not an ELF file at all, just some text to be refused\n' >"$T/text.xsp"
bad text 'Invalid argument|Exec format error'
head -c $((size / 2)) "$good" >"$T/trunc.xsp"
bad trunc 'Invalid argument|Exec format error'
head -c 40 "$good" >"$T/trunc_hdr.xsp"
bad trunc_hdr 'Invalid argument|Exec format error'
cp "$good" "$T/class.xsp" && patch_bytes "$T/class.xsp" 4 01
bad class 'Exec format error' 'class|ELF32|32'
cp "$good" "$T/machine.xsp" && patch_bytes "$T/machine.xsp" 18 b7 00
bad machine 'Exec format error' 'machine|183|aarch64'
cp "$good" "$T/type.xsp" && patch_bytes "$T/type.xsp" 16 02 00
bad type 'Exec format error' 'type|ET_EXEC|relocatable'
cp "$good" "$T/shoff.xsp" && patch_u64 "$T/shoff.xsp" 40 $((size + 4096))
bad shoff 'Invalid argument'
v=$((shnum + 5))
cp "$good" "$T/shstrndx.xsp" && patch_bytes "$T/shstrndx.xsp" 62 "$(printf '%02x' $((v & 255)))" "$(printf '%02x' $((v >> 8)))"
bad shstrndx 'Invalid argument'
# a section with contents whose sh_offset points past the end of the file
sections() { # FILE: "index name type size" per section
	readelf -SW "$1" | sed -nE 's/^ *\[ *([0-9]+)\] +([^ ]+) +([^ ]+) +[^ ]+ +[^ ]+ +([^ ]+) .*/\1 \2 \3 \4/p'
}
idx=$(sections "$good" | awk '$2 ~ /^\.text/ && $3 == "PROGBITS" && $4 !~ /^0+$/ { print $1; exit }')
[ -n "$idx" ] || fail "no .text section in the good payload"
cp "$good" "$T/secoff.xsp" && patch_u64 "$T/secoff.xsp" $((shoff + idx * 64 + 24)) $((size + 4096))
bad secoff 'Invalid argument' 'section|\.text'
# version field of the first .xsplice.funcs entry (offset 32 in the entry)
fidx=$(sections "$good" | awk '$2 == ".xsplice.funcs" { print $1 }')
[ -n "$fidx" ] || fail "no .xsplice.funcs in the good payload"
foff=$(read_uint "$good" $((shoff + fidx * 64 + 24)) 8)
cp "$good" "$T/version.xsp" && patch_bytes "$T/version.xsp" $((foff + 32)) 02
bad version 'Invalid argument|Exec format error|not supported|Protocol' 'version|xsplice\.funcs'
unchanged "all malformed payloads"

# --- well-formed but not for this process --------------------------------
# misfit NAME SOURCE TARGET MESSAGE_ERE: refused by `xsplice cc` (its last
# stderr line names the cause: compiler messages may come before it), or at
# upload, or uploaded then refused at check; either way nothing of it stays.
registry_ok=0
misfit() {
	local name=$1 src=$2 target=$3 what=$4
	say "--- $name"
	if ! xs cc --target "$target" -o "$T/$name.xsp" "$src"; then
		[ "$XS_RC" = 1 ] || fail "cc $name: exit code $XS_RC"
		tail -n 1 "$XS_ERR" | grep -q '^xsplice: ' || fail "cc $name: last stderr line is not 'xsplice: ...'"
		tail -n 1 "$XS_ERR" | grep -Eqi -- "$what" || fail "cc $name: message does not name /$what/: $(tail -n 1 "$XS_ERR")"
		say "(refused by cc)"
	elif xs upload "$pid" "$name" "$T/$name.xsp"; then
		xs_fail . check "$pid" "$name"
		grep -Eqi -- "$what" "$XS_ERR" || fail "$name: message does not name /$what/: $(xs_err)"
		assert_status "$pid" "$name" LOADED
		assert_match "$(get_field "$pid" "$name" rc)" '^-[0-9]+$' "rc after the refused check"
		xs_ok unload "$pid" "$name"
		accept_registry
	else
		xs_refused . "upload $name"
		grep -Eqi -- "$what" "$XS_ERR" || fail "$name: message does not name /$what/: $(xs_err)"
	fi
	unchanged "$name"
}
# After the first upload, the registry mapping (private, not executable, our
# memfd) may remain: take it into the baseline once, refuse anything else.
accept_registry() {
	[ "$registry_ok" = 1 ] && return 0
	maps_of "$pid" >"$T/maps.now"
	new_lines "$T/snap.base.maps" "$T/maps.now" >"$T/maps.added"
	new_lines "$T/maps.now" "$T/snap.base.maps" >"$T/maps.removed"
	[ -s "$T/maps.removed" ] && fail "mappings disappeared: $(cat "$T/maps.removed")"
	if [ -s "$T/maps.added" ]; then
		[ "$(wc -l <"$T/maps.added")" = 1 ] && awk '$2 == "rw-p" && $6 == "/memfd:xsplice-state"' "$T/maps.added" | grep -q . ||
			fail "mappings left after unload: $(cat "$T/maps.added")"
		say "registry mapping: $(cat "$T/maps.added")"
	fi
	snapshot base "$pid" "$addr" 32
	registry_ok=1
}

misfit expect "$CASE_DIR/expect.c" "$T/mal" 'compute|expect'
misfit other "$CASE_DIR/good.c" "$T/other" 'build.?id'
misfit undef "$CASE_DIR/undef.c" "$T/mal" 'no_such_function'
misfit tls "$CASE_DIR/tls.c" "$T/mal" 'tls_counter'
misfit tls_plain "$CASE_DIR/tls_plain.c" "$T/mal" 'tls_counter'
misfit nofunc "$CASE_DIR/nofunc.c" "$T/mal" 'no_such_fn_to_patch'
misfit tiny "$CASE_DIR/tiny.c" "$T/mal" 'tiny_fn'

# and the good payload itself works: the refusals were not spurious
xs_ok load "$pid" "$good"
expect_tick "$out" 'compute\(7\)=1007$'
xs_ok revert "$pid" good
xs_ok unload "$pid" good
steady_ticks "$out" 'compute\(7\)=14$'
