#!/usr/bin/env bash
# Installs everything nnc needs to build and test on Debian 12, idempotently:
# packages already present are skipped, so rerunning it is cheap.
set -euo pipefail

packages=(
  # Build.
  cmake ninja-build g++ git pkg-config
  # LLVM/MLIR 22 (shared libMLIR.so / libLLVM.so, lit, FileCheck).
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libomp-22-dev
  # clang's sanitizer and libFuzzer runtimes (tests/fuzz).
  libclang-rt-22-dev
  # Libraries.
  libfmt-dev libgtest-dev libbenchmark-dev libopenblas-dev zlib1g-dev
  # Open MPI, for nnc train --distributed and its tests.
  openmpi-bin libopenmpi-dev
  # Network namespaces, for the two-host test of nnc train --distributed.
  iproute2
  # Reference implementation and data set.
  python3 python3-numpy python3-torch dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
