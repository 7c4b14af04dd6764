#!/usr/bin/python3
"""The PyTorch peer of benchmarks/train/train_mlp_bench (run by it).

check PARAMS BATCH LABELS: loads aif's initial parameters and one batch (raw
little-endian f32/i32 files), does one SGD step as aif does and prints the
loss before and after as JSON.
bench BATCH STEPS REPEATS THREADS: times the same training step (forward,
cross-entropy, backward, SGD with momentum) on in-memory data and prints
samples/s and the phase split as JSON.
"""
import json
import statistics
import sys
import time

import numpy as np
import torch

SIZES = [784, 512, 256, 10]


def make_model():
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]))
        if i + 2 < len(SIZES):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def check(params_path, batch_path, labels_path, batch):
    torch.set_num_threads(1)
    model = make_model()
    flat = np.fromfile(params_path, dtype="<f4")
    offset = 0
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                for p in (layer.weight, layer.bias):
                    n = p.numel()
                    p.copy_(torch.from_numpy(flat[offset:offset + n].reshape(p.shape)))
                    offset += n
    x = torch.from_numpy(np.fromfile(batch_path, dtype="<f4").reshape(batch, SIZES[0]))
    y = torch.from_numpy(np.fromfile(labels_path, dtype="<i4").astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        after = torch.nn.functional.cross_entropy(model(x), y)
    print(json.dumps({"loss_before": loss.item(), "loss_after": after.item()}))


def bench(batch, steps, repeats, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    data = [(torch.rand(batch, SIZES[0]), torch.randint(0, 10, (batch,))) for _ in range(16)]
    phase = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}

    def step(i, timed):
        x, y = data[i % len(data)]
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        t1 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if timed:
            phase["forward"] += t1 - t0
            phase["backward"] += t2 - t1
            phase["optimizer"] += t3 - t2

    for i in range(20):
        step(i, False)
    rates = []
    for r in range(repeats):
        t0 = time.perf_counter()
        for i in range(steps):
            step(i, True)
        rates.append(batch * steps / (time.perf_counter() - t0))
    total_steps = steps * repeats
    print(json.dumps({
        "samples_per_s": statistics.median(rates),
        "forward_ms": 1e3 * phase["forward"] / total_steps,
        "backward_ms": 1e3 * phase["backward"] / total_steps,
        "optimizer_ms": 1e3 * phase["optimizer"] / total_steps,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0].strip(),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        bench(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
