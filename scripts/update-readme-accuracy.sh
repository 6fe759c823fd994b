#!/usr/bin/env bash
# Regenerates the README's generated accuracy blocks from test output (never pasted by hand):
# runs the validation test that writes each block, then replaces the text between its markers.
#   <!-- serving-accuracy:begin --> ... <!-- serving-accuracy:end -->  (tests/test_serving_validation.cpp)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
GPUPLAN_UPDATING_README=1 "$build/tests/test_serving_validation" >/dev/null
python3 - "$root/README.md" "$build/serving_accuracy.md" <<'PY'
import sys
readme, block = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- serving-accuracy:begin -->\n", "<!-- serving-accuracy:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + block + text[b:])
PY
echo "README.md: serving accuracy block regenerated from $build/serving_accuracy.md"
