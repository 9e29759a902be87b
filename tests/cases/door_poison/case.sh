#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# door_poison: the Makefile forces src/target/target_poison.h (-include) on
# every source of the CLI outside the target door (src/target/*.c),
# new files included, so that none can call ptrace or process_vm_readv/writev:
# the target is stopped, read and written only through the door.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

# A dry run of a full build into a scratch tree: the compile line of each file.
unset MAKEFLAGS MFLAGS MAKELEVEL
timeout 60 make --no-print-directory -n -B -C "$XSPLICE_ROOT" BUILD="$T/b" SAN_BUILD="$T/s" \
	"$T/b/bin/xsplice" >"$T/lines" 2>"$T/make.err" || fail "make -n: $(cat "$T/make.err")"

say "=== every source outside the door is built with the poison, the door without"
n=0
cd "$XSPLICE_ROOT"
for src in src/*.c src/*/*.c src/arch/*/*.c; do
	[ -f "$src" ] || continue
	case "$src" in src/arch/*) [[ "$src" == src/arch/$(uname -m)/* ]] || continue ;; esac
	line=$(grep -F -- "-c $src -o" "$T/lines" || true)
	[ -n "$line" ] || fail "$src: not compiled by the build"
	case "$src" in
	src/target/*.c)
		[[ "$line" != *"-include src/target/target_poison.h"* ]] || fail "$src: the door is built poisoned" ;;
	*)
		[[ "$line" == *"-include src/target/target_poison.h"* ]] || fail "$src: built without the poison: $line" ;;
	esac
	n=$((n + 1))
done
[ "$n" -gt 40 ] || fail "only $n sources seen"
say "  $n sources"

say "=== with those flags, a call of ptrace or process_vm_readv does not build"
line=$(grep -F -- "-c src/common/json.c -o" "$T/lines")
flags=${line#* }
flags=${flags%% -c src/common/json.c -o*}
cat >"$T/probe.c" <<'C'
#include <sys/ptrace.h>
#include <sys/uio.h>
long probe_ptrace(void) { return ptrace(PTRACE_TRACEME, 0, 0, 0); }
long probe_readv(struct iovec *l, struct iovec *r) { return process_vm_readv(1, l, 1, r, 1, 0); }
C
# shellcheck disable=SC2086 # flags are words
if ${CC:-cc} $flags -MF "$T/probe.d" -c "$T/probe.c" -o "$T/probe.o" 2>"$T/cc.err"; then
	fail "a call of ptrace built outside the door"
fi
assert_match "$(cat "$T/cc.err")" "attempt to use poisoned \"ptrace\"" "the compiler's refusal"
assert_match "$(cat "$T/cc.err")" "attempt to use poisoned \"process_vm_readv\"" "the compiler's refusal"
# shellcheck disable=SC2086
${CC:-cc} ${flags//-include src\/target\/target_poison.h/} -MF "$T/probe.d" -c "$T/probe.c" -o "$T/probe.o" ||
	fail "the probe does not build even without the poison"
