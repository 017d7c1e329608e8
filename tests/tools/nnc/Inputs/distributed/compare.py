"""compare.py A B [TOLERANCE]: the largest difference between two safetensors
files of the same tensors, relative to each tensor's largest magnitude;
prints it and whether it is within TOLERANCE."""
import json, struct, sys
import numpy as np
def load(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8+n]); data = b[8+n:]
    out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']
        dt = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}[v['dtype']]
        out[k] = np.frombuffer(data[s:e], dtype=dt).reshape(v['shape'])
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
worst = 0.0
for k in sorted(a):
    d = np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)).max()
    scale = np.abs(a[k]).max()
    rel = d / scale if scale > 0 else d
    worst = max(worst, rel)
    print(f"{k}: max |diff| {d:.3g}, relative {rel:.3g}", file=sys.stderr)
tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
print(f"worst relative difference {worst:.3g}")
print("within tolerance" if worst <= tolerance else f"over the tolerance {tolerance:g}")
