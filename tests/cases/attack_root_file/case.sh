#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_root_file: an unprivileged target maps a root-owned file it may
# only read (MAP_PRIVATE), writes a forged registry into its private copy,
# and makes the CLI take that mapping for its registry: a mapped path so
# long that its /proc/PID/maps line, cut at 511 bytes, leaves a tail
# "ADDR-/memfd:xsplice-state". No command may write the file, crash, or
# harm the target.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
FILE=$T/root-owned.bin
head -c 262144 /dev/urandom >"$FILE"
chmod 644 "$FILE"
cp "$FILE" "$T/original.bin"
SUM=$(sha256sum <"$FILE")
if "${UNPRIV[@]}" sh -c ': >>"$1"' sh "$FILE" 2>/dev/null; then
	fail "nobody can write $FILE: the case proves nothing"
fi
CLEAN='compute\(7\)=14 b\(7\)=21 victim\(7\)=21 buf=hello!$'

# A target with the forged registry in place: payload "evil" APPLIED and
# "evil2" REVERTED, their records' sites inside the mapping.
forged() {
	local a
	cat "$T/original.bin" >"$FILE" # as it was, should a variant before have written it
	start_ready_unpriv "$T/hostile" "$OWN" 2
	pid=$TPID out=$TOUT
	wait_workers "$out" 2 14 0
	addr=$(addr_of "$out" compute)
	hcmd "$out" cmd "forge_root $FILE"
	a=$(sed -n 's/^forged 0x\([0-9a-f]*\) .*/\1/p' "$T/hcmd.out")
	tail=$(sed -n 's/^tail //p' "$T/hcmd.out")
	say "the file is mapped at $a; the tail of the long maps line: $tail"
	assert_eq "${tail%%/*}" "$a-" "start of the maps line's tail"
	grep -q "^$a-.* $FILE\$" "/proc/$pid/maps" || fail "$FILE is not mapped at $a"
}

file_unchanged() {
	local off
	[ "$(sha256sum <"$FILE")" = "$SUM" ] && return 0
	{ cmp -l "$T/original.bin" "$FILE" || true; } >"$T/cmp"
	off=$(awk 'NR == 1 { print $1 - 1 }' "$T/cmp")
	fail "xsplice $1 wrote the root-owned file: $(wc -l <"$T/cmp") bytes differ, the first at offset $off; it begins: $(head -c 48 "$FILE" | od -An -c | tr -s ' \n' ' ')"
}

read_only() {
	forged
	snapshot ro "$pid" "$addr" 16
	for c in "list $pid" "get $pid evil" "get $pid evil2" "list $pid --json"; do
		# shellcheck disable=SC2086
		xs_sane $c
		say "    -> $(tr '\n' '|' <"$XS_OUT" | head -c 300)"
		file_unchanged "$c"
		assert_unchanged ro "$c"
	done
	steady_ticks "$out" "$CLEAN"
}

# mutating CMD ID: one command on a fresh forged target
mutating() {
	forged
	xs_sane "$1" "$pid" "$2"
	file_unchanged "$1 $2"
	assert_alive "$pid" "target after $1 $2"
	assert_eq "$(read_code "$pid" "$addr" 16)" "$(cat "$T/snap.code" 2>/dev/null || read_code "$pid" "$addr" 16)" "code at compute"
	steady_ticks "$out" "$CLEAN"
}

run_variant read_only read_only
run_variant revert mutating revert evil
run_variant unload mutating unload evil2
run_variant apply mutating apply evil2
run_variant replace mutating replace evil2
variants_done
