#!/bin/sh
# SPDX-License-Identifier: MIT
# The include arrows between the folders of src/, from the #include lines,
# compared with the arrows docs/stages.dot draws: prints both sides of any
# difference and exits 1. common/ is drawn apart (every stage uses it);
# src/arch.h and src/arch/<machine>/ are one node, "arch". An arrow that
# points up (to a higher level of the picture, or a folder not in it) fails too.
cd "$(dirname "$0")/.." || exit 2
real=$(for f in src/*/*.[ch] src/arch/*/*.[ch]; do
	from=${f#src/}; from=${from%%/*}
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
		case $inc in
		arch.h) to=arch ;;
		*/*) to=${inc%%/*} ;;
		*) continue ;;
		esac
		[ "$to" != "$from" ] && [ "$to" != common ] && echo "$from -> $to"
	done
done | sort -u)
# The levels of docs/stages.dot: an arrow may go down or sideways, never up.
level() {
	case $1 in
	cli) echo 5 ;; engine | builder) echo 4 ;; loader | unwind | state) echo 3 ;;
	symbols | payload | target) echo 2 ;; arch) echo 1 ;; *) echo 9 ;;
	esac
}
up=$(echo "$real" | while read -r from arrow to; do
	[ "$(level "$to")" -gt "$(level "$from")" ] && echo "$from -> $to points up"
done)
[ -z "$up" ] || { echo "$up"; exit 1; }
drawn=$(sed -n 's/^[[:space:]]*\([a-z_]*\) -> \([a-z_]*\);.*/\1 -> \2/p' docs/stages.dot | sort -u)
[ "$real" = "$drawn" ] && exit 0
echo "docs/stages.dot differs from the includes in src/ (< in src only, > drawn only):"
tmp=$(mktemp) || exit 2
echo "$real" > "$tmp"
echo "$drawn" | diff "$tmp" -
rm -f "$tmp"
exit 1
