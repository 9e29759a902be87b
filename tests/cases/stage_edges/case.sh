#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stage_edges: every #include between src/ stage folders points down the rows
# of docs/stages.dot (cli; engine, builder; loader, unwind, state; symbols,
# payload, target; arch), and the picture shows exactly the edges the code has.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

out=$(bash "$XSPLICE_ROOT/docs/stage_edges.sh" 2>&1) || fail "stage edges: $out"
echo "stage edges: as drawn, none points up"
