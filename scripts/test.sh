#!/usr/bin/env bash
# Builds and runs the whole test suite twice: Release, then AddressSanitizer + UBSan; then only the
# threads test (concurrent requests) under ThreadSanitizer, to keep CI time low.
# Labels: unit, golden, validation, fuzz-smoke, threads. The validation tests read ../shared/reference
# (or its copy in tests/fixtures/shared_reference when the clone has no ../shared beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
cmake --build --preset release
ctest --preset release
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target test_threads
ctest --preset tsan -L threads
