#!/usr/bin/python3
"""Trains the same networks in clprop and in PyTorch (float64) and compares the final weights.

Every loss x optimizer (huber is torch.nn.HuberLoss(delta=1.0), on targets spread so that both of its
branches occur, through gelu (exact erf form), silu and elu layers, bce's through an nn.PReLU; mse's network has an nn.LayerNorm, half-sse's an nn.BatchNorm1d (its running statistics compared too); adamw is torch.optim.AdamW, with weight decay 0.1 so that decoupled decay shows); then, for sgd, momentum and adam: --lr-schedule step:2:0.5 and cosine
(PyTorch's StepLR and CosineAnnealingLR, stepped each epoch) and --clip-norm
(torch.nn.utils.clip_grad_norm_; 0.5 on cross-entropy, 0.02 on mse, whose smaller gradients 0.5
would not clip; the script prints how many steps were clipped), and --class-weights 1,2,0.5
(torch.nn.CrossEntropyLoss(weight=...)). Each case uses the same random data, initial weights
(passed to clprop with --init), batch order (--no-shuffle: consecutive rows, a partial last batch)
and hyper-parameters, for several epochs. Passes when every weight agrees to
|clprop - torch| <= 1e-4 * |torch| + 1e-6.

Needs Debian's numpy and torch (apt-get install python3-torch python3-numpy) and a built jar.
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
    "half-sse": "6,9:tanh,batchnorm,5:leaky-relu,3:linear",
    "mse": "6,17:relu,layernorm,3:sigmoid",
    "bce": "6,9:relu,prelu,7:tanh:nobias,3:sigmoid",
    "cross-entropy": "6,9:sigmoid,7:tanh,4:softmax",
    "huber": "6,9:gelu,5:silu,4:elu,3:linear",
}
# the class-weight cases use three classes, for --class-weights 1,2,0.5
WEIGHTED_SPEC = "6,9:sigmoid,7:tanh,3:softmax"
CLASS_WEIGHTS = [1.0, 2.0, 0.5]
LR = {"sgd": 0.05, "momentum": 0.05, "adam": 0.01, "adamw": 0.01}
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
ROWS, BATCH = 45, 8
WEIGHT_DECAY = {"sgd": 1e-3, "momentum": 1e-3, "adam": 1e-3, "adamw": 0.1}
RTOL, ATOL = 1e-4, 1e-6
# layers that are modules of their own, not a Linear and its activation
NORMS = ("layernorm", "batchnorm", "prelu")


def parse_spec(spec):
    """Dense layers as (fan_in, fan_out, activation, bias, ordinal); layernorm as ("layernorm", width, ordinal).
    ordinal numbers the layers that have parameters, as clprop names them (W1, b1, gamma2, beta2, W3 ...)."""
    parts = spec.split(",")
    layers, prev, ordinal = [], int(parts[0]), 0
    for p in parts[1:]:
        ordinal += 1
        if p in ("layernorm", "batchnorm", "prelu"):
            layers.append((p, prev, ordinal))
            continue
        f = p.split(":")
        layers.append((prev, int(f[0]), f[1], len(f) < 3, ordinal))
        prev = int(f[0])
    return layers


def activation(name, z):
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t,
        "leaky-relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
        "softmax": lambda t: torch.softmax(t, dim=1),
        "gelu": torch.nn.functional.gelu, "silu": torch.nn.functional.silu, "elu": torch.nn.functional.elu,
    }[name](z)


def java_env():
    """Preloads the JDK's libjsig.so, as scripts/clprop does (docs/devices.md, "Signal chaining")."""
    env = dict(os.environ)
    java = os.path.realpath(subprocess.run(["sh", "-c", "command -v java"], capture_output=True, text=True).stdout.strip())
    jsig = os.path.join(os.path.dirname(os.path.dirname(java)), "lib", "libjsig.so")
    if os.path.exists(jsig):
        env["LD_PRELOAD"] = jsig + (":" + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    return env


def run_case(loss, opt, args, tmp, seed, extra=None):
    """extra: None, ("schedule", "step:2:0.5"|"cosine"), ("clip", 0.5) or ("weights", CLASS_WEIGHTS)."""
    rng = np.random.default_rng(seed)
    spec = WEIGHTED_SPEC if extra and extra[0] == "weights" else SPECS[loss]
    layers = parse_spec(spec)
    n_in, n_out = layers[0][1] if layers[0][0] in NORMS else layers[0][0], layers[-1][1]
    x = rng.normal(size=(ROWS, n_in))
    if loss == "cross-entropy":
        labels = rng.integers(0, n_out, size=ROWS)
        y = np.eye(n_out)[labels]
        table = np.column_stack([x, labels])
    else:
        if loss == "bce":
            y = rng.integers(0, 2, size=(ROWS, n_out)).astype(float)
        elif loss == "huber":
            y = rng.normal(scale=2.0, size=(ROWS, n_out))
        else:
            y = rng.uniform(size=(ROWS, n_out))
        table = np.column_stack([x, y])
    # clprop reads float32; give both sides exactly the same float32 values
    x = x.astype(np.float32).astype(np.float64)
    y = y.astype(np.float32).astype(np.float64)
    name = f"{loss}-{opt}" + (f"-{extra[0]}-{extra[1]}" if extra else "").replace(":", "_").replace(",", "_").replace(" ", "")
    csv = os.path.join(tmp, f"{name}.csv")
    np.savetxt(csv, table.astype(np.float32), delimiter=",", fmt="%.9g")

    init = {}
    for layer in layers:
        if layer[0] == "prelu":
            # slopes away from PyTorch's 0.25, one negative
            init[f"slope{layer[2]}"] = (0.25 + rng.normal(size=layer[1]) * 0.3).astype(np.float32)
            continue
        if layer[0] in ("layernorm", "batchnorm"):
            kind, width, i = layer
            # away from the starting 1 and 0, so that both parameters matter
            init[f"gamma{i}"] = (1 + rng.normal(size=width) * 0.1).astype(np.float32)
            init[f"beta{i}"] = (rng.normal(size=width) * 0.1).astype(np.float32)
            if kind == "batchnorm":
                init[f"running_mean{i}"] = np.zeros(width, dtype=np.float32)
                init[f"running_var{i}"] = np.ones(width, dtype=np.float32)
            continue
        fan_in, fan_out, _, bias, i = layer
        init[f"W{i}"] = (rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
        if bias:
            init[f"b{i}"] = (rng.normal(size=fan_out) * 0.1).astype(np.float32)
    w_path = os.path.join(tmp, f"{name}-init.npz")
    np.savez(w_path, **init)
    out_path = os.path.join(tmp, f"{name}-out.npz")

    cmd = ["java", "-XX:-PrintWarnings", "-jar", args.jar, "train", "--data", csv, "--layers", spec, "--loss", loss,
           "--optimizer", opt, "--lr", str(LR[opt]), "--batch", str(BATCH), "--epochs", str(args.epochs),
           "--no-shuffle", "--weight-decay", str(WEIGHT_DECAY[opt]), "--init", w_path, "--save", out_path,
           "--device", args.device, "--quiet"]
    if loss != "cross-entropy":
        cmd += ["--targets", str(n_out)]
    if extra and extra[0] == "schedule":
        cmd += ["--lr-schedule", extra[1]]
    if extra and extra[0] == "clip":
        cmd += ["--clip-norm", str(extra[1])]
    if extra and extra[0] == "weights":
        cmd += ["--class-weights", ",".join(str(w) for w in extra[1])]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=java_env())
    got = np.load(out_path)

    torch.manual_seed(0)
    mods = []
    for layer in layers:
        if layer[0] == "prelu":
            prelu = torch.nn.PReLU(layer[1], dtype=torch.float64)
            with torch.no_grad():
                prelu.weight.copy_(torch.from_numpy(init[f"slope{layer[2]}"].astype(np.float64)))
            mods.append((prelu, "prelu", layer[2]))
            continue
        if layer[0] in ("layernorm", "batchnorm"):
            kind, width, i = layer
            if kind == "layernorm":
                norm = torch.nn.LayerNorm(width, eps=1e-5, dtype=torch.float64)
            else:
                norm = torch.nn.BatchNorm1d(width, eps=1e-5, momentum=0.1, dtype=torch.float64)  # in training mode
            with torch.no_grad():
                norm.weight.copy_(torch.from_numpy(init[f"gamma{i}"].astype(np.float64)))
                norm.bias.copy_(torch.from_numpy(init[f"beta{i}"].astype(np.float64)))
            mods.append((norm, kind, i))
            continue
        fan_in, fan_out, act, bias, i = layer
        lin = torch.nn.Linear(fan_in, fan_out, bias=bias, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(init[f"W{i}"].astype(np.float64)))
            if bias:
                lin.bias.copy_(torch.from_numpy(init[f"b{i}"].astype(np.float64)))
        mods.append((lin, act, i))
    params = [p for mod, _, _ in mods for p in mod.parameters()]
    wd = WEIGHT_DECAY[opt]
    if opt == "sgd":
        optim = torch.optim.SGD(params, lr=LR[opt], weight_decay=wd)
    elif opt == "momentum":
        optim = torch.optim.SGD(params, lr=LR[opt], momentum=0.9, weight_decay=wd)
    elif opt == "adamw":
        optim = torch.optim.AdamW(params, lr=LR[opt], weight_decay=wd)
    else:
        optim = torch.optim.Adam(params, lr=LR[opt], weight_decay=wd)
    scheduler = None
    if extra and extra[0] == "schedule":
        if extra[1].startswith("step:"):
            _, size, gamma = extra[1].split(":")
            scheduler = torch.optim.lr_scheduler.StepLR(optim, step_size=int(size), gamma=float(gamma))
        else:
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=args.epochs)
    ce = torch.nn.CrossEntropyLoss(weight=torch.tensor(extra[1], dtype=torch.float64) if extra and extra[0] == "weights" else None)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    clipped = [0, 0]
    for _ in range(args.epochs):
        for off in range(0, ROWS, BATCH):
            xb, yb = tx[off:off + BATCH], ty[off:off + BATCH]
            a = xb
            for k, (mod, act, _) in enumerate(mods):
                z = mod(a)
                a = z if act in NORMS or (loss == "cross-entropy" and k == len(mods) - 1) else activation(act, z)
            if loss == "half-sse":
                l = 0.5 * ((yb - a) ** 2).sum()
            elif loss == "mse":
                l = torch.nn.functional.mse_loss(a, yb)
            elif loss == "bce":
                l = torch.nn.functional.binary_cross_entropy(a, yb)
            elif loss == "huber":
                l = torch.nn.functional.huber_loss(a, yb, delta=1.0)
            else:
                l = ce(a, yb.argmax(dim=1))
            optim.zero_grad()
            l.backward()
            if extra and extra[0] == "clip":
                clipped[0] += float(torch.nn.utils.clip_grad_norm_(params, extra[1])) > extra[1]
            clipped[1] += 1
            optim.step()
        if scheduler is not None:
            scheduler.step()

    worst_abs, worst_rel, ok = 0.0, 0.0, True
    for mod, act, i in mods:
        if act == "prelu":
            ref = {"slope": mod.weight.detach().numpy()}
        elif act in ("layernorm", "batchnorm"):
            ref = {"gamma": mod.weight.detach().numpy(), "beta": mod.bias.detach().numpy()}
            if act == "batchnorm":
                ref["running_mean"] = mod.running_mean.numpy()
                ref["running_var"] = mod.running_var.numpy()
        else:
            ref = {"W": mod.weight.detach().numpy()}
            if mod.bias is not None:
                ref["b"] = mod.bias.detach().numpy()
        for k, r in ref.items():
            g = got[f"{k}{i}"].astype(np.float64)
            d = np.abs(g - r)
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / np.maximum(np.abs(r), 1e-12)).max()))
            ok &= bool(np.all(d <= RTOL * np.abs(r) + ATOL))
    if extra and extra[0] == "clip":
        print(f"    (the gradient norm exceeded {extra[1]} in {clipped[0]} of {clipped[1]} steps)", flush=True)
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
    print(f"{'loss':<14} {'optimizer':<9} {'extra':<24} {'max |diff|':>11} {'max rel':>10}  result")
    cases = [(loss, opt, None, 100 + seed) for seed, loss in enumerate(SPECS) for opt in OPTIMIZERS]
    for opt in ("sgd", "momentum", "adam"):
        for loss in ("cross-entropy", "mse"):
            # mse's gradients (a mean over all outputs) stay below 0.5, so its clipping is tested at 0.02
            for extra in (("schedule", "step:2:0.5"), ("schedule", "cosine"), ("clip", 0.5 if loss == "cross-entropy" else 0.02)):
                cases.append((loss, opt, extra, 200 + len(cases)))
        cases.append(("cross-entropy", opt, ("weights", CLASS_WEIGHTS), 200 + len(cases)))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for loss, opt, extra, seed in cases:
            a, r, ok = run_case(loss, opt, args, tmp, seed, extra)
            failed += not ok
            label = "" if extra is None else f"{extra[0]} {extra[1]}".replace("[1.0, 2.0, 0.5]", "1,2,0.5")
            print(f"{loss:<14} {opt:<9} {label:<24} {a:11.3e} {r:10.3e}  {'ok' if ok else 'FAIL'}", flush=True)
    print(f"{len(cases) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
