#!/usr/bin/python3
"""The PyTorch peer of benchmarks/train/train_mlp_bench (run by it).

probe: prints the torch version and whether CUDA and torch.compile exist.
check PARAMS BATCH LABELS N [options]: loads aif's initial parameters and one
batch (raw little-endian f32/i32 files), does one SGD step as aif does and
prints the loss before and after as JSON.
bench N STEPS REPEATS THREADS [options]: times the same training step
(forward, cross-entropy, backward, SGD with momentum 0.9) on in-memory data
and prints samples/s and the phase split as JSON.

Options (the defaults are the original CPU benchmark):
  --model mlp|wide|cnn    784-512-256-10 relu, 784-4096-4096-10 relu, or the
                          Fashion-MNIST CNN of jobs/configs/fmnist_cnn.ini
                          (its dropout only in bench: check compares without)
  --device cpu|cuda       on CUDA the clock is read after torch.cuda.synchronize()
  --precision fp32|bf16   bf16: torch.autocast(bfloat16) around forward and loss,
                          f32 master weights and optimizer (aif's --precision bf16);
                          fp32 on CUDA: TF32 off for matmul and cuDNN, as in aif
  --mode eager|compiled   compiled: the model through torch.compile (2.0 or later)

When a request cannot be met here (no CUDA in this torch, no torch.compile),
it prints {"unavailable": reason} and exits 0.
"""
import argparse
import contextlib
import json
import statistics
import sys
import time

import torch  # first: when it is missing, that is the message the C++ side shows
import numpy as np

WIDTHS = {"mlp": [784, 512, 256, 10], "wide": [784, 4096, 4096, 10]}


def unavailable(reason):
    print(json.dumps({"unavailable": reason}))
    sys.exit(0)


def make_model(name, dropout=True):
    nn = torch.nn
    if name == "cnn":
        layers = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(0.3))
        layers.append(nn.Linear(128, 10))
        return nn.Sequential(*layers)
    sizes = WIDTHS[name]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def input_shape(name):
    return (1, 28, 28) if name == "cnn" else (784,)


def device_of(name):
    if name == "cuda":
        if not torch.cuda.is_available():
            built = "" if torch.version.cuda else ", a build without CUDA"
            unavailable(f"PyTorch {torch.__version__} cannot use CUDA here "
                        f"(torch.cuda.is_available() is False{built})")
        # aif's f32 GEMMs and convolutions do not use TF32: neither may the peer.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(name)


def autocast(device, precision):
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def synchronizer(device):
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def probe(args):
    cuda = torch.cuda.is_available()
    print(json.dumps({
        "torch": torch.__version__,
        "cuda": cuda,
        "cuda_version": torch.version.cuda,
        "compile": hasattr(torch, "compile"),
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
    }))


def check(args):
    torch.set_num_threads(1)
    device = device_of(args.device)
    model = make_model(args.model, dropout=False)
    flat = np.fromfile(args.params, dtype="<f4")
    offset = 0
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d)):
                for p in (layer.weight, layer.bias):
                    n = p.numel()
                    p.copy_(torch.from_numpy(flat[offset:offset + n].reshape(p.shape)))
                    offset += n
    if offset != flat.size:
        raise SystemExit(f"aif's parameters have {flat.size} values, the PyTorch model {offset}")
    model = model.to(device)
    x = torch.from_numpy(np.fromfile(args.batch_file, dtype="<f4").reshape(args.n, *input_shape(args.model)))
    y = torch.from_numpy(np.fromfile(args.labels, dtype="<i4").astype(np.int64))
    x, y = x.to(device), y.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with autocast(device, args.precision):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad(), autocast(device, args.precision):
        after = torch.nn.functional.cross_entropy(model(x), y)
    print(json.dumps({"loss_before": loss.item(), "loss_after": after.item()}))


def bench(args):
    torch.set_num_threads(args.threads)
    device = device_of(args.device)
    if args.mode == "compiled" and not hasattr(torch, "compile"):
        unavailable(f"torch.compile needs PyTorch 2.0 or later (this is {torch.__version__})")
    torch.manual_seed(0)
    model = make_model(args.model).to(device)
    forward = torch.compile(model) if args.mode == "compiled" else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    shape = input_shape(args.model)
    data = [(torch.rand(args.n, *shape, device=device), torch.randint(0, 10, (args.n,), device=device))
            for _ in range(16)]
    sync = synchronizer(device)
    phase = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}

    def step(i, phases):
        x, y = data[i % len(data)]
        if phases:
            sync()
        t0 = time.perf_counter()
        with autocast(device, args.precision):
            loss = torch.nn.functional.cross_entropy(forward(x), y)
        if phases:
            sync()
        t1 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if phases:
            sync()
        t2 = time.perf_counter()
        opt.step()
        if phases:
            sync()
        t3 = time.perf_counter()
        if phases:
            phase["forward"] += t1 - t0
            phase["backward"] += t2 - t1
            phase["optimizer"] += t3 - t2

    try:
        for i in range(20):  # compiles here in compiled mode
            step(i, False)
        sync()
    except Exception as e:  # a missing compiler or Triton: say so, do not crash the C++ side
        if args.mode != "compiled":
            raise
        unavailable(f"torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    # On the CPU the phases are timed inside the timed runs, as before; on a
    # GPU timing them needs a synchronisation per phase, so a separate pass does.
    on_gpu = device.type == "cuda"
    rates = []
    for r in range(args.repeats):
        sync()
        t0 = time.perf_counter()
        for i in range(args.steps):
            step(i, not on_gpu)
        sync()
        rates.append(args.n * args.steps / (time.perf_counter() - t0))
    phase_steps = args.steps * args.repeats
    if on_gpu:
        for i in range(args.steps):
            step(i, True)
        phase_steps = args.steps
    print(json.dumps({
        "samples_per_s": statistics.median(rates),
        "forward_ms": 1e3 * phase["forward"] / phase_steps,
        "backward_ms": 1e3 * phase["backward"] / phase_steps,
        "optimizer_ms": 1e3 * phase["optimizer"] / phase_steps,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0].strip(),
        "model": args.model,
        "device": device.type,
        "gpu": torch.cuda.get_device_name(device) if on_gpu else None,
        "precision": args.precision,
        "mode": args.mode,
        "batch": args.n,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("probe")
    c = sub.add_parser("check")
    for name in ("params", "batch_file", "labels"):
        c.add_argument(name)
    c.add_argument("n", type=int)
    b = sub.add_parser("bench")
    for name in ("n", "steps", "repeats", "threads"):
        b.add_argument(name, type=int)
    for p in (c, b):
        p.add_argument("--model", choices=["mlp", "wide", "cnn"], default="mlp")
        p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
        p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    b.add_argument("--mode", choices=["eager", "compiled"], default="eager")
    args = parser.parse_args()
    {"probe": probe, "check": check, "bench": bench}[args.command](args)


if __name__ == "__main__":
    main()
