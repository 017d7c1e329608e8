#!/usr/bin/env python3
"""Prints a model whose structure nests `depth` levels deep, for the tests
that check the frontend reports deep nesting instead of running out of stack.

  deep-model.py block-chain DEPTH     block b<i> calls block b<i-1>
  deep-model.py nested-repeat DEPTH   repeat 1 { repeat 1 { ... } }
"""

import sys

kind, depth = sys.argv[1], int(sys.argv[2])
print("model m {")
print("  input x: f32[4, 8]")
if kind == "block-chain":
    print(f"  loss = sum(b{depth - 1}(x))")
    print("}")
    print("block b0(h) {\n  return relu(h)\n}")
    for i in range(1, depth):
        print(f"block b{i}(h) {{\n  return b{i - 1}(h)\n}}")
elif kind == "nested-repeat":
    print("  h = x")
    print("  repeat 1 {" * depth + " h = relu(h) " + "}" * depth)
    print("  loss = sum(h)")
    print("}")
else:
    sys.exit(f"unknown kind '{kind}'")
