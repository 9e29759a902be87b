#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_lto: a -flto build holds no machine code to compare: refused by name,
# saying what to build with, not "changes no function".
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker "make CFLAGS='-O2 -g -flto'"
refused '^xsplice: build: report\.o \(linked into ticker\): built with -flto: LTO objects hold no machine code to compare; .*without LTO \(CFLAGS=-fno-lto\)' \
	"$XSPLICE_ROOT/tests/builder/static_fn/fix.diff"
