#!/usr/bin/env bash
# Installs the Debian 12 packages gpuplan needs (only the missing ones), then builds Release: the CLI
# and the Python module (build/release/python/gpuplan).
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(g++ cmake ninja-build pkg-config nlohmann-json3-dev libcli11-dev libfmt-dev
          googletest libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev libssl-dev
          python3-jsonschema clang-format pybind11-dev python3-dev python3-pytest python3-pandas)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
cmake --preset release >/dev/null
cmake --build --preset release --target gpuplan gpuplan_python
