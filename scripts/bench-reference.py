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


def openblas_core():
    """The kernel family OpenBLAS picked at run time (e.g. Haswell, SkylakeX, Zen), or None."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line and ".so" in line})
        for lib in libs:
            h = ctypes.CDLL(lib)
            for fn in ("openblas_get_corename", "scipy_openblas_get_corename64_"):
                if hasattr(h, fn):
                    getattr(h, fn).restype = ctypes.c_char_p
                    return getattr(h, fn)().decode()
    except OSError:
        pass
    return None


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


def sgemm_form(form, m, n, k, reps, calls):
    """GFLOP/s of one training product for batch m and a layer of n outputs and k inputs, as clprop's
    bench names them: forward A(m,k)·W(n,k)ᵀ, backward_data D(m,n)·W, weight_grad Dᵀ·A. The transposes
    are views (BLAS flags, no copies). Each repetition makes `calls` calls back to back, as clprop
    queues that many launches."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((n, k), dtype=np.float32)
    d = rng.standard_normal((m, n), dtype=np.float32)
    x, y = {"forward": (a, w.T), "backward_data": (d, w), "weight_grad": (d.T, a)}[form]
    out = np.empty((x.shape[0], y.shape[1]), dtype=np.float32)
    np.matmul(x, y, out=out)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(x, y, out=out)
        times.append((time.perf_counter() - t0) / calls)
    return [2 * m * n * k / t / 1e9 for t in times]


def shape_key(g):
    """A GEMM entry of clprop's results.json as 'form/MxNxK' (batch x outputs x inputs)."""
    return f"{g['form'].lower()}/{g['m']}x{g['n']}x{g['k']}"


def torch_rates(torch, optimizer, batch, rows, reps, threads, flush_denormal=False):
    """samples/s of `reps` epochs after a warm-up epoch, 784-256-128-10, cross-entropy."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)
    torch.manual_seed(0)
    x = torch.rand(rows, 784)
    y = torch.randint(0, 10, (rows,))
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=0.01))
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
    return rates


def torch_training(optimizers, batches, rows, reps):
    """PyTorch at its best here: each configuration with 1 thread and with every core, the faster kept,
    then with the faster thread count and subnormals flushed to zero (torch.set_flush_denormal, as
    clprop's kernels may; Adam's moments decay into subnormals at small batches), kept if faster.
    OMP_WAIT_POLICY=passive must be set before torch loads (scripts/bench does); with OpenMP's
    default spinning, OpenMP's and OpenBLAS's thread pools fight over the cores."""
    import torch
    out = {}
    threads = sorted({1, os.cpu_count() or 1})
    for o in optimizers:
        for batch in batches:
            # a batch-1 epoch is thousands of Python-level steps: fewer rows keep it short
            n = min(rows, 2048) if batch < 8 else rows
            best = None
            for t in threads:
                r = torch_rates(torch, o, batch, n, reps, t)
                if best is None or statistics.median(r) > statistics.median(best[0]):
                    best = (r, t, False)
            r = torch_rates(torch, o, batch, n, reps, best[1], flush_denormal=True)
            if statistics.median(r) > statistics.median(best[0]):
                best = (r, best[1], True)
            out[f"{o}/{batch}"] = dict(summary(best[0]), threads=best[1], flush_denormal=best[2])
    return out, torch.__version__


def summary(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clprop", help="clprop bench results.json to compare with")
    ap.add_argument("--out", help="write the reference figures here as JSON")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rows", type=int, default=8192)
    ap.add_argument("--sizes", default="1024,2048")
    ap.add_argument("--optimizers", default="sgd,adam")
    ap.add_argument("--batches", default="1,8,32,128,512")
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    optimizers = args.optimizers.split(",")
    sizes = [int(n) for n in args.sizes.split(",")]

    env = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")}
    if env["OPENBLAS_CORETYPE"] or env["OPENBLAS_L2_SIZE"]:
        print("warning: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set and may hold OpenBLAS below this CPU's best kernels")
    if (env["OMP_WAIT_POLICY"] or "").lower() != "passive":
        print("warning: OMP_WAIT_POLICY is not passive: PyTorch may run several times slower than it can here")
    ref = {"blas": blas_name(), "openblas_core": openblas_core(), "numpy": np.__version__, "environment": env,
           "sgemm_gflops": {}}
    for n in sizes:
        ref["sgemm_gflops"][n] = summary(sgemm(n, args.reps))
    clprop = None
    if args.clprop and os.path.exists(args.clprop):
        with open(args.clprop) as f:
            clprop = json.load(f)
    # the layer shapes clprop's bench timed (not square), each form at the same batch
    # clprop sizes each backend's queue to its own speed; numpy makes as many calls as the longest queue
    shapes, queued = {}, {}
    for g in (clprop or {}).get("gemm", []):
        if not (g["m"] == g["n"] == g["k"]):
            key = shape_key(g)
            shapes.setdefault(key, g)
            queued[key] = max(queued.get(key, 1), g.get("launches") or 1)
    ref["sgemm_shapes"] = {}
    for key, g in shapes.items():
        calls = queued[key]
        ref["sgemm_shapes"][key] = dict(summary(sgemm_form(g["form"].lower(), g["m"], g["n"], g["k"], args.reps, calls)),
                                        calls=calls)
    try:
        rates, version = torch_training(optimizers, batches, args.rows, args.reps)
        ref["torch"] = version
        ref["torch_samples_per_second"] = rates
    except ImportError:
        ref["torch"] = None
    for n in sizes:
        print(f"OpenBLAS via numpy {np.__version__} ({ref['blas']}, kernels: {ref['openblas_core']}): SGEMM {n}^3 "
              f"{ref['sgemm_gflops'][n]['median']:.1f} GFLOP/s (median of {args.reps})")
    for key, v in ref["sgemm_shapes"].items():
        print(f"OpenBLAS via numpy: {key.replace('/', ' ')} (batch x outputs x inputs) {v['median']:.1f} GFLOP/s "
              f"(median of {args.reps}, {v['calls']} calls back to back each)")
    if ref["torch"]:
        for key, s in ref["torch_samples_per_second"].items():
            o, b = key.split("/")
            print(f"PyTorch {ref['torch']} CPU, 784-256-128-10 {o}, batch {b}: {s['median']:.0f} samples/s "
                  f"(median of {s['n']}, best with {s['threads']} thread(s), flush_denormal={s['flush_denormal']}, "
                  f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']})")
    else:
        print("PyTorch not installed (apt-get install python3-torch): no training reference")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(ref, f, indent=2)

    if clprop:
        print("\nclprop against the references, same machine, same run:")
        for g in clprop.get("gemm", []):
            n = g["m"]
            if g["m"] == g["n"] == g["k"] and n in ref["sgemm_gflops"]:
                name, blas = f"{n}^3", ref["sgemm_gflops"][n]["median"]
            elif shape_key(g) in ref["sgemm_shapes"]:
                name, blas = shape_key(g).split("/")[1], ref["sgemm_shapes"][shape_key(g)]["median"]
            else:
                continue
            if g.get("gflops"):
                v = g["gflops"]["median"]
                print(f"  GEMM {name:11s} {g['form'].lower():14s} {g['backend'].split()[0]:9s}: {v:6.1f} GFLOP/s = {v / blas:.2f} x OpenBLAS")
        if ref["torch"]:
            for t in clprop.get("training", []):
                key = f"{t.get('optimizer', 'adam')}/{t['batch']}"
                if key in ref["torch_samples_per_second"]:
                    v = t["samplesPerSecond"]["median"]
                    tv = ref["torch_samples_per_second"][key]["median"]
                    print(f"  training {key:10s} {t['backend'].split()[0]:9s}: {v:8.0f} samples/s = {v / tv:.2f} x PyTorch")


if __name__ == "__main__":
    main()
