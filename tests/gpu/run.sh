#!/bin/sh
# The GPU check: what nnc's GPU target must show on a machine with an NVIDIA
# GPU. That machine has no MLIR, so everything it runs was compiled
# beforehand, on an ordinary machine, into a bundle:
#
#   here:         /usr/bin/python3 tests/gpu/prepare.py     (build/gpu-bundle, ~55 MiB)
#   GPU machine:  tests/gpu/run.sh [BUNDLE]                  (under 8 minutes)
#
# It runs, each under its own time limit:
#   1. the runtime's GPU unit tests (module load, launches, copies, errors);
#   2. tests/gpu/compare.py: the GPU and CPU builds of every whole-model case
#      of tests/numerics/test_pytorch.py after 5 training steps;
#   3. tests/gpu/train_fashion.py: the MLP and the CNN, one epoch of
#      Fashion-MNIST each, GPU and CPU builds, test accuracies within 0.01;
#   4. bench/gpu.py: nnc's step against PyTorch eager and torch.compile.
# Prints "run.sh: all checks passed" or names the failed ones; exits 1 then.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${1:-$root/build/gpu-bundle}
python=${PYTHON:-python3}
failed=""

if [ ! -f "$bundle/README" ]; then
  echo "run.sh: no bundle at $bundle (run tests/gpu/prepare.py on a machine with nnc)" >&2
  exit 2
fi
cat "$bundle/README"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$python" -c 'import numpy, torch; print("numpy", numpy.__version__, "torch", torch.__version__, "cuda", torch.cuda.is_available())' || true

check() {
  name=$1 limit=$2
  shift 2
  echo "=== $name"
  start=$(date +%s)
  if timeout "$limit" "$@"; then
    echo "=== $name: ok ($(( $(date +%s) - start )) s)"
  else
    echo "=== $name: FAILED (status $?, $(( $(date +%s) - start )) s)"
    failed="$failed $name"
  fi
}

check runtime 60 env NNC_REQUIRE_GPU=1 "$bundle/nnc-runtime-tests" --gtest_filter='GPU.*' --gtest_fail_if_no_test_ran
check compare 150 "$python" "$here/compare.py" "$bundle"
check fashion-mlp 90 "$python" "$here/train_fashion.py" "$bundle" mlp
check fashion-cnn 120 "$python" "$here/train_fashion.py" "$bundle" cnn
check bench 150 "$python" "$root/bench/gpu.py" "$bundle"

if [ -n "$failed" ]; then
  echo "run.sh: failed:$failed"
  exit 1
fi
echo "run.sh: all checks passed"
