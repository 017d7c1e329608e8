"""Writes a small random classification data set as .npy pairs:
make_npy.py DIR TRAIN_COUNT TEST_COUNT FEATURES."""
import os
import sys

import numpy as np

out, train, test, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out, exist_ok=True)
rng = np.random.RandomState(0)
for name, count in (("train", train), ("test", test)):
    np.save(os.path.join(out, name + "_x.npy"), rng.rand(count, features).astype(np.float32))
    np.save(os.path.join(out, name + "_y.npy"), rng.randint(0, 10, count).astype(np.int64))
