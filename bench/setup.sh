#!/usr/bin/env bash
# Creates bench/.venv with the benchmark peers that Debian does not package:
# JAX (jax.jit over the whole step, optax for the update) and PyTorch 2
# (torch.compile over the step). Idempotent: an existing environment with
# the pinned versions is left as it is. PyTorch 1.13, the third peer, is
# Debian's python3-torch (tools/setup.sh) and runs with /usr/bin/python3.
# The test suite never needs any of this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
# Pinned so that tables stay comparable from one run to the next.
packages=(jax==0.10.2 jaxlib==0.10.2 optax==0.2.8 torch==2.15.0
          numpy threadpoolctl)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" - "${packages[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, _, want = spec.partition("==")
    if want and version(name) != want:
        sys.exit(1)
    version(name)
PY
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "${packages[@]}"
fi
"$venv/bin/python" -c 'import jax, optax, torch; print("bench/.venv: jax", jax.__version__, "torch", torch.__version__)'
