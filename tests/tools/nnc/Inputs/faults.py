"""Interrupts and kills `nnc train`, and checks that training survives.

faults.py NNC MODEL DATA WORKDIR KILLS

1. An uninterrupted run of 3 epochs (the reference).
2. The same run stopped by SIGINT in the middle: it exits 130 after the
   current step and saves; --resume then finishes it, and the parameters
   and the training checkpoint are bit for bit the reference's.
3. KILLS runs with --save-every 1 killed by SIGKILL at random moments: after
   each, both checkpoint files are complete safetensors files (or absent,
   before the first save); a final --resume from the last one succeeds.
Prints one line per check; exits 1 on the first failure.
"""
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

nnc, model, data, work, kills = sys.argv[1:6]
kills = int(kills)
os.makedirs(work, exist_ok=True)
common = ["train", model, "--data", data, "--epochs", "3", "--seed", "5",
          "--cache-dir", os.path.join(work, "cache")]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(args, **kwargs):
    return subprocess.run([nnc] + common + args, capture_output=True, text=True, **kwargs)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def complete(path):
    """Whether `path` is a whole safetensors file: its header parses and its
    tensors end exactly at the end of the file."""
    blob = read(path)
    if len(blob) < 8:
        return False
    (n,) = struct.unpack("<Q", blob[:8])
    try:
        header = json.loads(blob[8:8 + n])
    except ValueError:
        return False
    end = max([t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"] or [0])
    return 8 + n + end == len(blob)


# 1. The reference, which also compiles the model into the cache.
ref = os.path.join(work, "ref.safetensors")
proc = run(["--save", ref])
if proc.returncode != 0:
    fail("reference run: " + proc.stderr)
print("reference: ok")

# 2. SIGINT mid-run, then --resume.
ckpt = os.path.join(work, "int.safetensors")
p = subprocess.Popen([nnc] + common + ["--save", ckpt], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(0.6)
p.send_signal(signal.SIGINT)
out, err = p.communicate()
if p.returncode != 130 or "interrupted after step" not in out:
    fail("SIGINT: exit %s, output %r %r" % (p.returncode, out, err[-300:]))
print("sigint: exit 130, " + [l for l in out.splitlines() if l.startswith("interrupted")][0].split(" (")[0])
resumed = os.path.join(work, "resumed.safetensors")
proc = run(["--resume", ckpt, "--save", resumed])
if proc.returncode != 0:
    fail("resume: " + proc.stderr)
if read(resumed) != read(ref):
    fail("the resumed parameters differ from the uninterrupted run's")
if read(resumed.replace(".safetensors", ".train.safetensors")) != \
        read(ref.replace(".safetensors", ".train.safetensors")):
    fail("the resumed training checkpoint differs from the uninterrupted run's")
print("resume: bit-identical to the uninterrupted run")

# 3. SIGKILL at random moments while saving every step.
rng = random.Random(1)
ckpt = os.path.join(work, "kill.safetensors")
train_ckpt = ckpt.replace(".safetensors", ".train.safetensors")
for i in range(kills):
    p = subprocess.Popen([nnc] + common + ["--save", ckpt, "--save-every", "1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.05, 0.8))
    p.kill()
    p.wait()
    for path in (ckpt, train_ckpt):
        if os.path.exists(path) and not complete(path):
            fail("kill %d left an incomplete %s" % (i, path))
if not os.path.exists(train_ckpt):
    fail("no kill left a checkpoint: the runs were too short")
proc = run(["--resume", ckpt, "--max-steps", "0"])
if proc.returncode not in (0, 1) or "resumed" not in proc.stdout:
    fail("resume after the kills: exit %d: %s" % (proc.returncode, proc.stderr))
print("sigkill: %d kills, every checkpoint complete, the last one resumes" % kills)
