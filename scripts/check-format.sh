#!/usr/bin/env bash
# Checks that tracked C++ files follow .clang-format (clang-format --dry-run --Werror); changes
# nothing. Lists each file that would be reformatted and exits 1 if there is any.
#   scripts/check-format.sh            every tracked *.cpp / *.hpp / *.h
#   scripts/check-format.sh FILE...    only these files
# CLANG_FORMAT=clang-format-16 picks another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check-format: $clang_format not found (apt-get install clang-format)" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h')
fi
bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files need clang-format ($("$clang_format" --version | head -1)):"
  printf '  %s\n' "${bad[@]}"
  echo "fix with: $clang_format -i FILE..."
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
