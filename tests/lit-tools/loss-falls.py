#!/usr/bin/env python3
"""Checks that a training log's loss falls: `loss-falls.py LOG`.

Reads every `loss <number>` in LOG (the progress lines of the examples'
programs and of `nnc train`), and exits 0 when there are at least two and
the last is below the first; otherwise it says why and exits 1.
"""

import re
import sys

with open(sys.argv[1]) as f:
    losses = [float(x) for x in re.findall(r"\bloss (\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", f.read())]
if len(losses) < 2:
    sys.exit(f"loss-falls: expects at least two losses in {sys.argv[1]}, found {len(losses)}")
if not losses[-1] < losses[0]:
    sys.exit(f"loss-falls: the loss did not fall: {losses}")
print(f"loss falls: {losses[0]} -> {losses[-1]}")
