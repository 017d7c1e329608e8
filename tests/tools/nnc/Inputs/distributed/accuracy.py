"""accuracy.py ONE.log TWO.log TOLERANCE: reads the final "test accuracy: X"
line of two nnc train logs and says whether they are within TOLERANCE."""
import re
import sys


def accuracy(path):
    found = re.findall(r"^test accuracy: ([0-9.]+)$", open(path).read(), re.M)
    if not found:
        sys.exit("%s: no 'test accuracy:' line" % path)
    return float(found[-1])


a, b, tolerance = accuracy(sys.argv[1]), accuracy(sys.argv[2]), float(sys.argv[3])
print("accuracy %.4f against %.4f: %s" % (a, b, "within %g" % tolerance
      if abs(a - b) <= tolerance else "differs by more than %g" % tolerance))
