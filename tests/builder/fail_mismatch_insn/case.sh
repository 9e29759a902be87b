#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_mismatch_insn: the running binary was built from other code in api()
# or say() than the tree holds: refused with the first instruction that
# differs, both sides disassembled; nothing written.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project relax make

# bin_from SED: rebuild $BIN with $BUILD_CMD from relax.c edited by SED, then
# put the source back.
bin_from() {
	cp "$SRC/relax.c" "$T/relax.c"
	sed -i "$1" "$SRC/relax.c"
	(cd "$SRC" && sh -c "$BUILD_CMD") >"$T/rebuild.log" 2>&1 || fail "rebuild with '$1' failed"
	cp "$T/relax.c" "$SRC/relax.c"
}

# Another constant.
bin_from 's/if (x > 5)/if (x > 4)/'
refused "build does not match the target: api \(relax\.c\) differs at \+0x0: 'cmp edi, 4' in $BIN, 'cmp edi, 5' as built" \
	"$CASE_DIR/../relaxed_jump/fix.diff"
# Another callee (the binary's jump is the short form, as in relaxed_jump).
bin_from 's/return helper(x);/return twin(x);/'
refused "build does not match the target: api \(relax\.c\) differs at \+0x10: 'jmp 0x[0-9a-f]+' in $BIN, 'jmp 0x[0-9a-f]+' as built; in $BIN it leads to twin, as built to helper:" \
	"$CASE_DIR/../relaxed_jump/fix.diff"
# Code the tree does not have.
bin_from 's/return x \* 3 + 1;/return x * 3 + 1 + arg;/'
refused "build does not match the target: api \(relax\.c\) differs at \+0x[0-9a-f]+: '.*' in $BIN, '.*' as built" \
	"$CASE_DIR/../relaxed_jump/fix.diff"
# Another library function, through the PLT and, with -fno-plt, through the GOT.
bin_from 's/return fputs(s, stdout)/return fputs_unlocked(s, stdout)/'
refused "build does not match the target: say \(relax\.c\) differs at \+0x[0-9a-f]+: 'call 0x[0-9a-f]+' in $BIN, 'call 0x[0-9a-f]+' as built; in $BIN it leads to fputs_unlocked@plt, as built to fputs:" \
	"$CASE_DIR/say.diff"
BUILD_CMD="make CFLAGS='-O2 -g -fno-plt'"
bin_from 's/return fputs(s, stdout)/return fputs_unlocked(s, stdout)/'
refused "build does not match the target: say \(relax\.c\) differs at \+0x[0-9a-f]+: 'call qword ptr \[rip \+ 0x[0-9a-f]+\]' in $BIN, 'call qword ptr \[rip\]' as built; in $BIN it leads to fputs_unlocked@got, as built to fputs:" \
	"$CASE_DIR/say.diff"
