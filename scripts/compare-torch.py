#!/usr/bin/env python3
"""Trains the same networks in clprop and in PyTorch (float64) and compares the final weights.

For every loss x optimizer: the same random data, initial weights (passed to clprop with --init),
batch order (--no-shuffle: consecutive rows, a partial last batch) and hyper-parameters, several
epochs. Passes when every weight agrees to |clprop - torch| <= 1e-4 * |torch| + 1e-6.

Needs numpy and torch (Debian: apt-get install python3-torch python3-numpy) and a built jar.
Usage: scripts/compare-torch.py [--device cpu|opencl|opencl:N] [--epochs 5] [--jar target/clprop.jar]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

SPECS = {
    "half-sse": "6,9:tanh,5:leaky-relu,3:linear",
    "mse": "6,17:relu,3:sigmoid",
    "bce": "6,9:relu,7:tanh:nobias,3:sigmoid",
    "cross-entropy": "6,9:sigmoid,7:tanh,4:softmax",
}
LR = {"sgd": 0.05, "momentum": 0.05, "adam": 0.01}
ROWS, BATCH, WEIGHT_DECAY = 45, 8, 1e-3
RTOL, ATOL = 1e-4, 1e-6


def parse_spec(spec):
    parts = spec.split(",")
    layers, prev = [], int(parts[0])
    for p in parts[1:]:
        f = p.split(":")
        layers.append((prev, int(f[0]), f[1], len(f) < 3))
        prev = int(f[0])
    return layers


def activation(name, z):
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t,
        "leaky-relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
        "softmax": lambda t: torch.softmax(t, dim=1),
    }[name](z)


def java_env():
    """Preloads the JDK's libjsig.so, as scripts/clprop does (README, "Signal chaining")."""
    env = dict(os.environ)
    java = os.path.realpath(subprocess.run(["sh", "-c", "command -v java"], capture_output=True, text=True).stdout.strip())
    jsig = os.path.join(os.path.dirname(os.path.dirname(java)), "lib", "libjsig.so")
    if os.path.exists(jsig):
        env["LD_PRELOAD"] = jsig + (":" + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    return env


def run_case(loss, opt, args, tmp, seed):
    rng = np.random.default_rng(seed)
    layers = parse_spec(SPECS[loss])
    n_in, n_out = layers[0][0], layers[-1][1]
    x = rng.normal(size=(ROWS, n_in))
    if loss == "cross-entropy":
        labels = rng.integers(0, n_out, size=ROWS)
        y = np.eye(n_out)[labels]
        table = np.column_stack([x, labels])
    else:
        y = rng.integers(0, 2, size=(ROWS, n_out)).astype(float) if loss == "bce" else rng.uniform(size=(ROWS, n_out))
        table = np.column_stack([x, y])
    # clprop reads float32; give both sides exactly the same float32 values
    x = x.astype(np.float32).astype(np.float64)
    y = y.astype(np.float32).astype(np.float64)
    csv = os.path.join(tmp, f"{loss}-{opt}.csv")
    np.savetxt(csv, table.astype(np.float32), delimiter=",", fmt="%.9g")

    init = {}
    for i, (fan_in, fan_out, _, bias) in enumerate(layers, 1):
        init[f"W{i}"] = (rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
        if bias:
            init[f"b{i}"] = (rng.normal(size=fan_out) * 0.1).astype(np.float32)
    w_path = os.path.join(tmp, f"{loss}-{opt}-init.npz")
    np.savez(w_path, **init)
    out_path = os.path.join(tmp, f"{loss}-{opt}-out.npz")

    cmd = ["java", "-XX:-PrintWarnings", "-jar", args.jar, "train", "--data", csv, "--layers", SPECS[loss], "--loss", loss,
           "--optimizer", opt, "--lr", str(LR[opt]), "--batch", str(BATCH), "--epochs", str(args.epochs),
           "--no-shuffle", "--weight-decay", str(WEIGHT_DECAY), "--init", w_path, "--save", out_path,
           "--device", args.device, "--quiet"]
    if loss != "cross-entropy":
        cmd += ["--targets", str(n_out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=java_env())
    got = np.load(out_path)

    torch.manual_seed(0)
    mods = []
    for i, (fan_in, fan_out, act, bias) in enumerate(layers, 1):
        lin = torch.nn.Linear(fan_in, fan_out, bias=bias, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(init[f"W{i}"].astype(np.float64)))
            if bias:
                lin.bias.copy_(torch.from_numpy(init[f"b{i}"].astype(np.float64)))
        mods.append((lin, act))
    params = [p for lin, _ in mods for p in lin.parameters()]
    if opt == "sgd":
        optim = torch.optim.SGD(params, lr=LR[opt], weight_decay=WEIGHT_DECAY)
    elif opt == "momentum":
        optim = torch.optim.SGD(params, lr=LR[opt], momentum=0.9, weight_decay=WEIGHT_DECAY)
    else:
        optim = torch.optim.Adam(params, lr=LR[opt], weight_decay=WEIGHT_DECAY)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(args.epochs):
        for off in range(0, ROWS, BATCH):
            xb, yb = tx[off:off + BATCH], ty[off:off + BATCH]
            a = xb
            for i, (lin, act) in enumerate(mods):
                z = lin(a)
                a = z if (loss == "cross-entropy" and i == len(mods) - 1) else activation(act, z)
            if loss == "half-sse":
                l = 0.5 * ((yb - a) ** 2).sum()
            elif loss == "mse":
                l = torch.nn.functional.mse_loss(a, yb)
            elif loss == "bce":
                l = torch.nn.functional.binary_cross_entropy(a, yb)
            else:
                l = torch.nn.functional.cross_entropy(a, yb.argmax(dim=1))
            optim.zero_grad()
            l.backward()
            optim.step()

    worst_abs, worst_rel, ok = 0.0, 0.0, True
    for i, (lin, _) in enumerate(mods, 1):
        ref = {"W": lin.weight.detach().numpy()}
        if lin.bias is not None:
            ref["b"] = lin.bias.detach().numpy()
        for k, r in ref.items():
            g = got[f"{k}{i}"].astype(np.float64)
            d = np.abs(g - r)
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / np.maximum(np.abs(r), 1e-12)).max()))
            ok &= bool(np.all(d <= RTOL * np.abs(r) + ATOL))
    return worst_abs, worst_rel, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--jar", default=os.path.join(os.path.dirname(__file__), "..", "target", "clprop.jar"))
    args = ap.parse_args()
    if not os.path.exists(args.jar):
        sys.exit(f"{args.jar}: not built; run scripts/clprop --help first")
    print(f"clprop --device {args.device} vs PyTorch {torch.__version__} float64, {args.epochs} epochs, "
          f"{ROWS} rows, batch {BATCH} (last batch {ROWS % BATCH}), weight decay {WEIGHT_DECAY}")
    print(f"{'loss':<14} {'optimizer':<9} {'max |diff|':>11} {'max rel':>10}  result")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed, loss in enumerate(SPECS):
            for opt in ("sgd", "momentum", "adam"):
                a, r, ok = run_case(loss, opt, args, tmp, 100 + seed)
                failed += not ok
                print(f"{loss:<14} {opt:<9} {a:11.3e} {r:10.3e}  {'ok' if ok else 'FAIL'}")
    print(f"{12 - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
