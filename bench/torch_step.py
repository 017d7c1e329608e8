"""Times PyTorch's training step for the models in bench/models.

The architectures mirror the .nn files; the step is the same: forward,
cross-entropy, backward, gradient clipping where the model clips, the
model's optimizer (Adam, or SGD with momentum 0.9). Convolutional models
take [batch, 1, 28, 28] images.
Prints the ms/step of `steps` steps after `warmup` steps (default 20).

With --compile (PyTorch 2, bench/.venv) the whole step (forward, backward,
clipping and the optimizer) is one torch.compile'd function; the warm-up
steps include its compilation.

With BATCHES > 1, prints one ms/step line per batch of STEPS steps.

With --cuda the model, its data and the optimizer live on the GPU (the
batch stays there, as with nnc's <m>_train_step_device), and each timed
batch ends with a synchronization.

Usage: torch_step.py MODEL THREADS STEPS [WARMUP] [BATCHES] [--compile] [--cuda]
"""
import sys
import time

import torch

MODELS = {
    "cnn": dict(batch=128, image=True, clip=None),
    "resnet": dict(batch=128, image=True, clip=None),
    "mlp": dict(batch=128, widths=[784, 512, 256, 10], act="relu", clip=1.0),
    "mlp_sgd": dict(batch=128, widths=[784, 512, 256, 10], act="relu", clip=None,
                    opt="sgd", lr=0.01),
    "wide": dict(batch=256, widths=[1024, 2048, 2048, 1024, 10], act="relu", clip=None,
                 opt="sgd", lr=0.01),
    "sigmoid20": dict(batch=128, widths=[256] * 21 + [10], act="sigmoid", clip=None),
    "narrow": dict(batch=16, widths=[32, 64, 64, 10], act="relu", clip=None),
    "wide_gpu": dict(batch=1024, widths=[4096, 4096, 4096, 10], act="relu", clip=None,
                     opt="sgd", lr=0.01),
}


class Residual(torch.nn.Module):
    """conv-bn-relu-conv-bn plus the identity, then relu (resnet.nn)."""

    def __init__(self, c):
        super().__init__()
        nn = torch.nn
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return torch.relu(x + self.body(x))


def build_image(name):
    nn = torch.nn
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def cbr(i, o, stride=1):
        return [nn.Conv2d(i, o, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
    layers = cbr(1, 16) + [Residual(16) for _ in range(3)] + cbr(16, 32, 2) + [Residual(32) for _ in range(3)]
    layers += cbr(32, 64, 2) + [Residual(64) for _ in range(2)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def build(spec):
    layers = []
    widths = spec["widths"]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(torch.nn.ReLU() if spec["act"] == "relu" else torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


def main():
    args = [a for a in sys.argv[1:] if a not in ("--compile", "--cuda")]
    compiled = "--compile" in sys.argv[1:]
    device = "cuda" if "--cuda" in sys.argv[1:] else "cpu"
    name, threads, steps = args[0], int(args[1]), int(args[2])
    warmup = int(args[3]) if len(args) > 3 else 20
    batches = int(args[4]) if len(args) > 4 else 1
    torch.set_num_threads(threads)
    spec = MODELS[name]
    model = (build_image(name) if spec.get("image") else build(spec)).to(device)
    model.train()
    if spec.get("opt") == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(spec["batch"], 1, 28, 28) if spec.get("image")
         else torch.rand(spec["batch"], spec["widths"][0])).to(device)
    y = torch.randint(0, 10, (spec["batch"],)).to(device)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if spec["clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["clip"])
        opt.step()

    if compiled:
        step = torch.compile(step)
        warmup = max(warmup, 3)
    for _ in range(warmup):
        step()
    sync()
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        print("%.4f" % ((time.perf_counter() - start) / steps * 1000), flush=True)


if __name__ == "__main__":
    main()
