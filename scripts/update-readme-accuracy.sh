#!/usr/bin/env bash
# Regenerates the README's generated accuracy blocks from test output (never pasted by hand):
# runs the validation test that writes each block, then replaces the text between its markers.
#   <!-- serving-accuracy:begin --> ... <!-- serving-accuracy:end -->  (tests/test_serving_validation.cpp)
#   <!-- serving-speed-accuracy:begin --> ... <!-- serving-speed-accuracy:end -->  (tests/test_serving_speed_validation.cpp)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
GPUPLAN_UPDATING_README=1 "$build/tests/test_serving_validation" >/dev/null
GPUPLAN_UPDATING_README=1 "$build/tests/test_serving_speed_validation" >/dev/null
python3 - "$root/README.md" "$build" <<'PY'
import sys
readme, build = sys.argv[1], sys.argv[2]
text = open(readme).read()
for name, block_file in (("serving-accuracy", "serving_accuracy.md"), ("serving-speed-accuracy", "serving_speed_accuracy.md")):
    block = open(build + "/" + block_file).read()
    begin, end = "<!-- " + name + ":begin -->\n", "<!-- " + name + ":end -->"
    a, b = text.index(begin) + len(begin), text.index(end)
    text = text[:a] + block + text[b:]
open(readme, "w").write(text)
PY
echo "README.md: serving accuracy blocks regenerated from $build/serving_accuracy.md and serving_speed_accuracy.md"
