"""Times PyTorch's DistributedDataParallel training step (gloo, one thread
per process, all processes on this machine) for a model of bench/models, as
bench/torch_step.py builds it, with the model's batch split across the
processes. Rank 0 prints the mean ms/step of STEPS steps after WARMUP.

Usage: ddp_step.py MODEL PROCESSES STEPS [WARMUP]
"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_step  # noqa: E402


def run(rank, name, ranks, steps, warmup, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    os.sched_setaffinity(0, {rank % os.cpu_count()})
    dist.init_process_group("gloo", rank=rank, world_size=ranks)
    spec = torch_step.MODELS[name]
    net = torch_step.build_image(name) if spec.get("image") else torch_step.build(spec)
    model = torch.nn.parallel.DistributedDataParallel(net)
    if spec.get("opt") == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = spec["batch"] // ranks
    x = (torch.rand(batch, 1, 28, 28) if spec.get("image")
         else torch.rand(batch, spec["widths"][0]))
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        if spec["clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["clip"])
        opt.step()

    for _ in range(warmup):
        step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    if rank == 0:
        print("%.4f" % ((time.perf_counter() - start) / steps * 1000), flush=True)
    dist.destroy_process_group()


def main():
    name, ranks, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    port = 20000 + os.getpid() % 20000
    mp.spawn(run, args=(name, ranks, steps, warmup, port), nprocs=ranks)


if __name__ == "__main__":
    main()
