#!/usr/bin/env python3
"""Reference figures measured beside `clprop bench`, on the same machine in the same run:
OpenBLAS SGEMM through numpy, and PyTorch CPU training of the same MLP. Compares them with
clprop's results.json when given one.

Needs Debian's python3-numpy with libopenblas0-pthread, and python3-torch (apt-get install).
Usage: scripts/bench-reference.py [--clprop bench-results/results.json] [--out bench-results/reference.json]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # numpy < 1.25 has no mode="dicts"; ask the dynamic loader instead
        try:
            with open("/proc/self/maps") as f:
                libs = {line.split()[-1] for line in f if "blas" in line}
            return ", ".join(sorted(os.path.basename(x) for x in libs)) or "unknown"
        except OSError:
            return "unknown"


def sgemm(n, reps):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return [2 * n ** 3 / t / 1e9 for t in times]


def torch_training(batches, rows, reps):
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    out = {}
    x = torch.rand(rows, 784)
    y = torch.randint(0, 10, (rows,))
    for batch in batches:
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                    torch.nn.ReLU(), torch.nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        rates = []
        for epoch in range(reps + 1):
            perm = torch.randperm(rows)
            t0 = time.perf_counter()
            for off in range(0, rows, batch):
                idx = perm[off:off + batch]
                loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            if epoch > 0:  # the first epoch is the warm-up
                rates.append(rows / (time.perf_counter() - t0))
        out[batch] = rates
    return out, torch.__version__


def summary(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clprop", help="clprop bench results.json to compare with")
    ap.add_argument("--out", help="write the reference figures here as JSON")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rows", type=int, default=8192)
    ap.add_argument("--batches", default="32,128,512")
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]

    ref = {"blas": blas_name(), "numpy": np.__version__, "sgemm_gflops": {}}
    for n in (1024,):
        ref["sgemm_gflops"][n] = summary(sgemm(n, args.reps))
    try:
        rates, version = torch_training(batches, args.rows, args.reps)
        ref["torch"] = version
        ref["torch_samples_per_second"] = {b: summary(r) for b, r in rates.items()}
    except ImportError:
        ref["torch"] = None
    print(f"OpenBLAS via numpy {np.__version__} ({ref['blas']}): SGEMM 1024^3 "
          f"{ref['sgemm_gflops'][1024]['median']:.1f} GFLOP/s (median of {args.reps})")
    if ref["torch"]:
        for b, s in ref["torch_samples_per_second"].items():
            print(f"PyTorch {ref['torch']} CPU, 784-256-128-10 adam, batch {b}: {s['median']:.0f} samples/s (median of {args.reps})")
    else:
        print("PyTorch not installed (apt-get install python3-torch): no training reference")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(ref, f, indent=2)

    if args.clprop and os.path.exists(args.clprop):
        with open(args.clprop) as f:
            res = json.load(f)
        print("\nclprop against the references, same machine, same run:")
        for g in res.get("gemm", []):
            if g["m"] == g["n"] == g["k"] == 1024 and g.get("gflops") and not g["backend"].startswith("ejml"):
                v = g["gflops"]["median"]
                print(f"  GEMM 1024^3 {g['form'].lower():14s} {g['backend'].split()[0]}: {v:6.1f} GFLOP/s = "
                      f"{v / ref['sgemm_gflops'][1024]['median']:.2f} x OpenBLAS")
            if g["m"] == g["n"] == g["k"] == 1024 and g.get("gflops") and g["backend"].startswith("ejml"):
                v = g["gflops"]["median"]
                print(f"  GEMM 1024^3 {g['form'].lower():14s} ejml: {v:6.1f} GFLOP/s = {v / ref['sgemm_gflops'][1024]['median']:.2f} x OpenBLAS")
        if ref["torch"]:
            for t in res.get("training", []):
                b = t["batch"]
                if b in ref["torch_samples_per_second"]:
                    v = t["samplesPerSecond"]["median"]
                    tv = ref["torch_samples_per_second"][b]["median"]
                    print(f"  training batch {b:4d} {t['backend'].split()[0]:9s}: {v:8.0f} samples/s = {v / tv:.2f} x PyTorch")


if __name__ == "__main__":
    main()
