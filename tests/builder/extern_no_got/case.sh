#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_no_got: with a compiler that cannot reach external data through the
# GOT, the fprintf(stderr, ...) fix builds with one warning line, and load
# refuses it naming stderr, its relocation, section and libc; nothing changes.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker "make CFLAGS='-O2 -g -fPIE' LDFLAGS='-pie'"
cat >"$T/oldcc" <<'CC'
#!/bin/sh
# gcc before 12: knows neither flag
for a in "$@"; do
	case "$a" in -mno-direct-extern-access | -fno-direct-access-external-data)
		echo "oldcc: unrecognized option '$a'" >&2
		exit 1 ;;
	esac
done
exec gcc "$@"
CC
chmod +x "$T/oldcc"
XSPLICE_REAL_CC=$T/oldcc xs_build_ok "$XSPLICE_ROOT/tests/builder/extern_stderr_pie/fix.diff"
assert_eq "$(grep -v "^build: " "$XS_ERR" | grep -c .)" 1 "warning lines"
assert_file_match "$XS_ERR" "^xsplice: build: warning: calc\.o: \.text\.calc reaches 'stderr' directly and could not be rebuilt .*\(oldcc: unrecognized option '-mno-direct-extern-access'\): load refuses the payload if 'stderr' is far"

start_ready "$BIN"
expect_tick "$TOUT" ' calc=15 off=1 other=9$'
xs_fail "section \.text\.calc\+0x[0-9a-f]+: R_X86_64_PC32 against 'stderr' \(0x[0-9a-f]+ in [^ ]*libc\.so[^ ]*\) does not fit: .*GOT" \
	load "$TPID" "$T/fix.xsp"
steady_ticks "$TOUT" ' calc=15 off=1 other=9$'
[ ! -s "$TERR" ] || fail "the target wrote to stderr: $(head -c 200 "$TERR")"
