"""Times PyTorch's training step for the models in bench/models.

The architectures mirror the .nn files; the step is the same: forward,
cross-entropy, backward, gradient clipping where the model clips, Adam.
Prints the ms/step of `steps` steps after a warm-up.
"""
import sys
import time

import torch

MODELS = {
    "mlp": dict(batch=128, widths=[784, 512, 256, 10], act="relu", clip=1.0),
    "sigmoid20": dict(batch=128, widths=[256] * 21 + [10], act="sigmoid", clip=None),
    "narrow": dict(batch=16, widths=[32, 64, 64, 10], act="relu", clip=None),
}


def build(spec):
    layers = []
    widths = spec["widths"]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(torch.nn.ReLU() if spec["act"] == "relu" else torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


def main():
    name, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    spec = MODELS[name]
    model = build(spec)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(spec["batch"], spec["widths"][0])
    y = torch.randint(0, 10, (spec["batch"],))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if spec["clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["clip"])
        opt.step()

    for _ in range(20):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print("%.4f" % ((time.perf_counter() - start) / steps * 1000))


if __name__ == "__main__":
    main()
