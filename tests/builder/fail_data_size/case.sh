#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_data_size: an existing global changes size: refused, naming file and symbol.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
refused 'report\.c: history: existing data changes size \(16 -> 32 bytes\)' "$CASE_DIR/fix.diff"
