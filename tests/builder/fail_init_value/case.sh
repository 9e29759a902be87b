#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_init_value: an existing global changes its initial value: refused, naming file and symbol.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
refused 'report\.c: step: initial value of existing data changes' "$CASE_DIR/fix.diff"
