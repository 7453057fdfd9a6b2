#!/usr/bin/env bash
# samecode.sh REV checks that the assembly of internal/f32 in the work
# tree assembles to the same machine code, data and relocations as at git
# revision REV: a refactoring of the generator that leaves the object code
# unchanged cannot change any result. (Line numbers and label names may
# differ; they are not compared.)
#
# Usage: bash internal/f32/_asm/samecode.sh HEAD
set -euo pipefail
rev="${1:?usage: samecode.sh REV}"
pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$pkg"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/old" "$tmp/new"
prefix="$(git rev-parse --show-prefix)"
for f in $( (git ls-tree --name-only "$rev" -- . | grep '\.s$'; ls *.s) | sort -u); do
	git show "$rev:$prefix$f" >"$tmp/old/$f" 2>/dev/null || : >"$tmp/old/$f"
	cp "$f" "$tmp/new/$f" 2>/dev/null || : >"$tmp/new/$f"
done
status=0
for f in $(cd "$tmp/new" && ls *.s); do
	for side in old new; do
		# -S lists each symbol's bytes and relocations after its
		# instructions; keep those, drop the instruction lines (they
		# carry line numbers).
		go tool asm -I "$(go env GOROOT)/pkg/include" -p github.com/phoneme/phoneme/internal/f32 \
			-o "$tmp/$side/$f.o" -S "$tmp/$side/$f" 2>&1 |
			grep -v '^[[:space:]]*0x[0-9a-f]\{4\} [0-9]\{5\} (' >"$tmp/$side/$f.code" || true
	done
	if cmp -s "$tmp/old/$f.code" "$tmp/new/$f.code"; then
		echo "$f: same machine code as $rev ($(grep -c STEXT "$tmp/new/$f.code") routines)"
	else
		echo "$f: machine code differs from $rev:"
		diff "$tmp/old/$f.code" "$tmp/new/$f.code" | head -20
		status=1
	fi
done
exit $status
