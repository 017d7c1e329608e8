"""ddp_reference.py NNC DATA STEPS OUT.safetensors: trains bncnn32.nn's network
with PyTorch's DistributedDataParallel (gloo, 2 processes on 127.0.0.1) for
STEPS steps, as `mpirun -np 2 nnc train bncnn32.nn --distributed --no-shuffle
--seed 0` does: the same initial parameters (nnc's, for seed 0), the data
set's order, rank r taking examples [(2s + r)·32, (2s + r + 1)·32) at step
s, SGD (lr 0.01) with momentum 0.9, rank 0's running statistics (DDP's
broadcast_buffers). Rank 0 writes the parameters and buffers, by nnc's
names, to OUT."""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as tnn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "numerics"))
import nnclib  # noqa: E402

BATCH, RANKS = 32, 2


class Net(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(1, 8, 3, padding=1)
        self.bn = tnn.BatchNorm2d(8)
        self.dense = tnn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.dense(torch.flatten(h, 1))


NAMES = {"conv0.weight": "conv.weight", "conv0.bias": "conv.bias",
         "batch_norm0.weight": "bn.weight", "batch_norm0.bias": "bn.bias",
         "batch_norm0.running_mean": "bn.running_mean",
         "batch_norm0.running_var": "bn.running_var",
         "dense0.weight": "dense.weight", "dense0.bias": "dense.bias"}


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def run(rank, initial, data, steps, out, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=RANKS)
    net = Net()
    with torch.no_grad():
        state = net.state_dict()
        for ours, theirs in NAMES.items():
            state[theirs].copy_(torch.from_numpy(initial[ours]))
    model = tnn.parallel.DistributedDataParallel(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = data
    for s in range(steps):
        first = (s * RANKS + rank) * BATCH
        xb = torch.from_numpy(x[first:first + BATCH]).reshape(BATCH, 1, 28, 28)
        yb = torch.from_numpy(y[first:first + BATCH]).long()
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    if rank == 0:
        state = net.state_dict()
        save_safetensors(out, {ours: state[theirs].numpy()
                               for ours, theirs in NAMES.items()})
    dist.destroy_process_group()


def main():
    nnc, data_dir, steps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    source = open(os.path.join(HERE, "bncnn32.nn")).read()
    lib = nnclib.compile_model(source, nnc=nnc, name="bncnn")
    initial = lib.create(seed=0).param_copies()
    x = np.load(os.path.join(data_dir, "train_x.npy"))
    y = np.load(os.path.join(data_dir, "train_y.npy"))
    # A port from the process id, so that concurrent runs do not collide.
    port = 20000 + os.getpid() % 20000
    mp.spawn(run, args=(initial, (x, y), steps, out, port), nprocs=RANKS)


if __name__ == "__main__":
    main()
