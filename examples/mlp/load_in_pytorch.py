#!/usr/bin/python3
"""Loads a checkpoint of examples/mlp/mlp.nn into PyTorch and tests it.

    /usr/bin/python3 examples/mlp/load_in_pytorch.py mlp.safetensors [DATA_DIR]

Builds the torch.nn model equivalent to mlp.nn, copies the nnc parameters
into it, and prints its accuracy on the Fashion-MNIST test set. Exits with 1
when the checkpoint's tensor names, shapes or types do not match the model.
Needs only torch and numpy: the safetensors format is simple enough to read
by hand.
"""

import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"

# nnc names its layers dense0, dense1, ... in the order of mlp.nn; in the
# Sequential below they sit at indices 0, 2, 4 (the ReLUs have no parameters).
NNC_TO_TORCH = {"dense0": "0", "dense1": "2", "dense2": "4"}

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64,
                      "I32": np.int32, "I64": np.int64}


def build_model():
    """784-512-256-10 with ReLUs, as in mlp.nn (nn.Linear stores weights
    [out, in], which is also nnc's layout)."""
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def read_safetensors(path):
    """{name: numpy array}. Layout: an 8-byte little-endian header length, a
    JSON header {name: {dtype, shape, data_offsets}}, then the raw
    little-endian data, with offsets relative to its start."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack_from("<Q", blob, 0)
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} is past the end")
    header = json.loads(blob[8:8 + header_len])
    header.pop("__metadata__", None)
    data = memoryview(blob)[8 + header_len:]
    tensors = {}
    for name, info in header.items():
        dtype = SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: '{name}' has unsupported dtype "
                             f"{info['dtype']}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if not 0 <= begin <= end <= len(data) or \
                end - begin != np.dtype(dtype).itemsize * int(np.prod(shape)):
            raise ValueError(f"{path}: '{name}' has bad data offsets")
        tensors[name] = np.frombuffer(data[begin:end], dtype=np.dtype(dtype)
                                      .newbyteorder("<")).reshape(shape)
    return tensors


def load_nnc_checkpoint(model, path):
    """Copies the checkpoint into `model`; returns a list of mismatches."""
    expected = model.state_dict()
    problems = []
    found = set()
    for name, array in read_safetensors(path).items():
        layer, _, kind = name.partition(".")
        torch_name = f"{NNC_TO_TORCH.get(layer, layer)}.{kind}"
        if torch_name not in expected:
            problems.append(f"unexpected tensor '{name}'")
            continue
        found.add(torch_name)
        target = expected[torch_name]
        if tuple(target.shape) != array.shape or array.dtype != np.float32:
            problems.append(f"'{name}' is {array.dtype}{list(array.shape)}, "
                            f"expected float32{list(target.shape)}")
            continue
        target.copy_(torch.from_numpy(array.copy()))
    torch_to_nnc = {v: k for k, v in NNC_TO_TORCH.items()}
    for torch_name in sorted(expected.keys() - found):
        index, _, kind = torch_name.partition(".")
        problems.append(f"missing tensor '{torch_to_nnc[index]}.{kind}'")
    return problems


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        blob = f.read()
    rank = magic & 0xFF
    if len(blob) < 4 + 4 * rank or struct.unpack_from(">I", blob)[0] != magic:
        raise ValueError(f"{path}: not an IDX file with magic {magic:#010x}")
    dims = struct.unpack_from(f">{rank}I", blob, 4)
    array = np.frombuffer(blob, np.uint8, offset=4 + 4 * rank)
    if array.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {array.size} bytes of data, expected "
                         f"{int(np.prod(dims))}")
    return array.reshape(dims)


def main():
    if not 2 <= len(sys.argv) <= 3:
        sys.exit(f"usage: {sys.argv[0]} CHECKPOINT [DATA_DIR]")
    checkpoint = sys.argv[1]
    data_dir = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_DATA

    model = build_model()
    try:
        problems = load_nnc_checkpoint(model, checkpoint)
    except (OSError, ValueError) as e:
        sys.exit(f"error: {e}")
    if problems:
        for p in problems:
            print(f"error: {checkpoint}: {p}", file=sys.stderr)
        sys.exit(1)

    images = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"),
                      0x803)
    labels = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"),
                      0x801)
    # Same input as train.c: float32 pixels / 255, one row per image.
    x = torch.from_numpy(images.reshape(len(images), -1).copy()).float() / 255.0
    y = torch.from_numpy(labels.astype(np.int64))
    model.eval()
    with torch.no_grad():
        predictions = model(x).argmax(dim=1)
    accuracy = (predictions == y).double().mean().item()
    print(f"pytorch test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
