"""Times JAX's training step for the models in bench/models: the whole step
(forward, cross-entropy, jax.grad, clipping where the model clips, the optax
update, batch-norm statistics) is one jax.jit'd function, as JAX users
write it. The architectures and optimizers mirror bench/torch_step.py.

Prints one ms/step line per batch of `steps` steps, after `warmup` steps
(which include the compilation).

Usage: jax_step.py MODEL THREADS STEPS [WARMUP] [BATCHES]
Run with bench/.venv/bin/python (bench/setup.sh). THREADS=1 turns off
XLA's multithreaded Eigen kernels; pin the process with taskset.
"""
import os
import sys
import time

if len(sys.argv) > 2 and sys.argv[2] == "1":
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false"
                               " intra_op_parallelism_threads=1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from torch_step import MODELS  # noqa: E402  (the shared model table)


def dense_init(key, fan_in, fan_out):
    w = jax.random.normal(key, (fan_in, fan_out), jnp.float32) * (2.0 / fan_in) ** 0.5
    return {"w": w, "b": jnp.zeros((fan_out,), jnp.float32)}


def conv_init(key, cin, cout, k, bias=True):
    w = jax.random.normal(key, (cout, cin, k, k), jnp.float32) * (2.0 / (cin * k * k)) ** 0.5
    p = {"w": w}
    if bias:
        p["b"] = jnp.zeros((cout,), jnp.float32)
    return p


def conv(p, x, stride=1):
    y = jax.lax.conv_general_dilated(x, p["w"], (stride, stride), ((1, 1), (1, 1)),
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return y + p["b"][None, :, None, None] if "b" in p else y


def batch_norm(p, s, x):
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    n = x.size / x.shape[1]
    y = (x - mean[None, :, None, None]) * jax.lax.rsqrt(var + 1e-5)[None, :, None, None]
    y = y * p["g"][None, :, None, None] + p["b"][None, :, None, None]
    new = {"mean": 0.9 * s["mean"] + 0.1 * mean, "var": 0.9 * s["var"] + 0.1 * var * n / (n - 1)}
    return y, new


def bn_init(c):
    return ({"g": jnp.ones((c,)), "b": jnp.zeros((c,))},
            {"mean": jnp.zeros((c,)), "var": jnp.ones((c,))})


def build_mlp(spec, key):
    widths = spec["widths"]
    keys = jax.random.split(key, len(widths))
    params = [dense_init(keys[i], widths[i], widths[i + 1]) for i in range(len(widths) - 1)]
    act = jax.nn.relu if spec["act"] == "relu" else jax.nn.sigmoid

    def forward(params, state, x):
        h = x
        for i, p in enumerate(params):
            h = h @ p["w"] + p["b"]
            if i + 1 < len(params):
                h = act(h)
        return h, state
    return params, {}, forward


def build_cnn(key):
    k = jax.random.split(key, 4)
    params = {"c1": conv_init(k[0], 1, 32, 3), "c2": conv_init(k[1], 32, 64, 3),
              "d1": dense_init(k[2], 64 * 7 * 7, 128), "d2": dense_init(k[3], 128, 10)}

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def forward(p, state, x):
        h = pool(jax.nn.relu(conv(p["c1"], x)))
        h = pool(jax.nn.relu(conv(p["c2"], h)))
        h = jax.nn.relu(h.reshape(h.shape[0], -1) @ p["d1"]["w"] + p["d1"]["b"])
        return h @ p["d2"]["w"] + p["d2"]["b"], state
    return params, {}, forward


def build_resnet(key):
    keys = iter(jax.random.split(key, 64))
    # (kind, channels in, channels out, stride): "cbr" conv-bn-relu, "res" a
    # residual block of two conv-bn (resnet.nn).
    plan = [("cbr", 1, 16, 1)] + [("res", 16, 16, 1)] * 3 + [("cbr", 16, 32, 2)]
    plan += [("res", 32, 32, 1)] * 3 + [("cbr", 32, 64, 2)] + [("res", 64, 64, 1)] * 2
    params, state = [], []
    for kind, cin, cout, _ in plan:
        convs = 1 if kind == "cbr" else 2
        p = {"conv": [conv_init(next(keys), cin if i == 0 else cout, cout, 3, bias=False)
                      for i in range(convs)]}
        bns = [bn_init(cout) for _ in range(convs)]
        p["bn"] = [b[0] for b in bns]
        params.append(p)
        state.append([b[1] for b in bns])
    params.append(dense_init(next(keys), 64, 10))

    def forward(params, state, x):
        h, new_state = x, []
        for (kind, _, _, stride), p, s in zip(plan, params, state):
            if kind == "cbr":
                y, s0 = batch_norm(p["bn"][0], s[0], conv(p["conv"][0], h, stride))
                h = jax.nn.relu(y)
                new_state.append([s0])
            else:
                y, s0 = batch_norm(p["bn"][0], s[0], conv(p["conv"][0], h))
                y, s1 = batch_norm(p["bn"][1], s[1], conv(p["conv"][1], jax.nn.relu(y)))
                h = jax.nn.relu(h + y)
                new_state.append([s0, s1])
        head = params[-1]
        return h.mean(axis=(2, 3)) @ head["w"] + head["b"], new_state
    return params, state, forward


def main():
    name, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    batches = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    spec = MODELS[name]
    key = jax.random.PRNGKey(0)
    if name == "cnn":
        params, state, forward = build_cnn(key)
    elif name == "resnet":
        params, state, forward = build_resnet(key)
    else:
        params, state, forward = build_mlp(spec, key)
    if spec.get("opt") == "sgd":
        tx = optax.sgd(spec["lr"], momentum=0.9)
    else:
        tx = optax.adam(1e-3)
    if spec["clip"]:
        tx = optax.chain(optax.clip_by_global_norm(spec["clip"]), tx)
    opt_state = tx.init(params)
    shape = (spec["batch"], 1, 28, 28) if spec.get("image") else (spec["batch"], spec["widths"][0])
    x = jax.random.uniform(jax.random.PRNGKey(1), shape, jnp.float32)
    y = jax.random.randint(jax.random.PRNGKey(2), (spec["batch"],), 0, 10)

    def loss_fn(params, state):
        logits, new_state = forward(params, state, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), new_state

    @jax.jit
    def step(params, state, opt_state):
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_state, opt_state, loss

    carry = (params, state, opt_state)
    for _ in range(max(warmup, 2)):
        *carry, loss = step(*carry)
    loss.block_until_ready()
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(steps):
            *carry, loss = step(*carry)
        loss.block_until_ready()
        print("%.4f" % ((time.perf_counter() - start) / steps * 1000), flush=True)


if __name__ == "__main__":
    main()
