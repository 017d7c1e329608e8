#!/usr/bin/env bash
# Sets up a Debian 12 machine for nnc (tools/setup.sh), then configures and
# builds nnc in build/. Safe to rerun: both steps are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir >/dev/null
ninja -C build
