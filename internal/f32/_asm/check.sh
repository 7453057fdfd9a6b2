#!/usr/bin/env bash
# check.sh verifies that the committed assembly of internal/f32 is exactly
# what the avo generator in internal/f32/_asm produces. It regenerates the
# files in place (go generate in internal/f32) and fails, listing the
# differences, when they differ from the committed ones (HEAD).
#
# Usage, from anywhere in the repository: bash internal/f32/_asm/check.sh
# Needs go and git; avo is fetched through the module proxy (its versions
# are pinned by _asm/go.mod and go.sum).
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$pkg"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "check.sh: $pkg is not in a git work tree; cannot compare with the committed files" >&2
	exit 1
fi

echo "check.sh: regenerating the assembly of internal/f32 (go generate, avo from _asm/)"
if ! go generate; then
	echo "check.sh: FAIL: go generate in internal/f32 failed (see the errors above);" >&2
	echo "  it runs 'go run -C _asm . -dir ..', which needs the module proxy to fetch avo" >&2
	exit 1
fi

# Every .s file of the package is generated.
if ! git diff --quiet HEAD -- '*.s' || [ -n "$(git ls-files --others --exclude-standard -- '*.s')" ]; then
	echo "check.sh: FAIL: the committed assembly in internal/f32 is not what _asm/ generates." >&2
	echo "  Differences after regeneration (git diff --stat against HEAD):" >&2
	git diff --stat HEAD -- '*.s' >&2
	git ls-files --others --exclude-standard -- '*.s' | sed 's/^/  new, not committed: /' >&2
	echo "  Edit the generator in internal/f32/_asm, not the .s files; run 'go generate'" >&2
	echo "  in internal/f32 and commit the regenerated files with the generator change." >&2
	exit 1
fi
echo "check.sh: ok: the committed assembly is up to date"
