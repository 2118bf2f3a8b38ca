#!/usr/bin/env python3
"""clprop -> PyTorch -> clprop: a trained clprop model's weights go into the matching nn.Sequential
through `clprop export --torch-npz`, PyTorch's outputs are compared with `clprop predict`, and the
state_dict PyTorch saves comes back through `clprop import` with outputs identical to the original.

Needs Debian's python3-torch and python3-numpy, and the jar (scripts/clprop builds it).
Usage: /usr/bin/python3 scripts/torch-roundtrip.py [--work DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = "64,32:relu,dropout:0.2,layernorm,16:gelu:nobias,batchnorm,12:silu,prelu,10:softmax"


def clprop(*args):
    r = subprocess.run([os.path.join(HERE, "clprop"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"clprop {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def predictions(model, rows_csv):
    out = clprop("predict", "--model", model, "--data", rows_csv, "--no-header", "--device", "cpu")
    return np.array([[float(c) for c in line.split(",")] for line in out.strip().splitlines()], dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", help="folder for the files (default: a temporary one)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="clprop-torch-")
    os.makedirs(work, exist_ok=True)
    m1, sd1, sd2, m2 = (os.path.join(work, n) for n in ("m.npz", "torch-from-clprop.npz", "torch-saved.npz", "m-back.npz"))
    rows = os.path.join(work, "rows.csv")

    clprop("train", "--layers", SPEC, "--epochs", "5", "--device", "cpu", "--save", m1, "--quiet")
    clprop("export", "--model", m1, "--torch-npz", sd1)

    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.LayerNorm(32), nn.Linear(32, 16, bias=False), nn.GELU(),
                        nn.BatchNorm1d(16), nn.Linear(16, 12), nn.SiLU(), nn.PReLU(12), nn.Linear(12, 10), nn.Softmax(dim=1))
    net.load_state_dict({k: torch.tensor(v) for k, v in np.load(sd1).items()})  # strict: every key must match
    net.eval()

    rng = np.random.default_rng(0)
    x = (rng.random((33, 64)) * 16).astype(np.float32)
    np.savetxt(rows, x, delimiter=",", fmt="%.9g")
    x = np.loadtxt(rows, delimiter=",", dtype=np.float32, ndmin=2)  # the values clprop reads
    with torch.no_grad():
        t = net(torch.from_numpy(x)).numpy()
    c1 = predictions(m1, rows)
    diff = float(np.max(np.abs(t - c1)))
    print(f"PyTorch {torch.__version__} nn.Sequential with clprop's weights vs clprop predict, 33 rows: max |diff| {diff:.3g}")
    ok = diff <= 1e-5

    np.savez(sd2, **{k: v.numpy() for k, v in net.state_dict().items()})
    clprop("import", "--weights", sd2, "--layers", SPEC, "--save", m2)
    c2 = predictions(m2, rows)
    same = np.array_equal(c1, c2)
    print(f"clprop -> PyTorch state_dict -> clprop: predictions {'identical' if same else 'DIFFER'}")
    ok &= same
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
