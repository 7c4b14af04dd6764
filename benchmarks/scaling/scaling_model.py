#!/usr/bin/env python3
"""A model of data-parallel scaling beyond the measured machine.

Step time on p ranks with b samples per rank (benchmarks/README.md, "Scaling"):

  T_compute(b) = (t_fixed + b * t_sample) * max(1, p / cores)
  T_comm(p)    = 2 (p-1)/p * G / bw  +  k * 2 (p-1) * lat        (ring all-reduce of k buckets, G bytes)
  exposed      = max(0, T_comm - f * b * t_backward * max(1, p / cores))
  T_step       = T_compute + exposed

t_sample, t_backward (per sample) and t_fixed (per step: optimizer, loss
all-reduce) come from the 1-rank runs; f is the share of backward that runs
after the first bucket is ready (measured from the traces); cores bounds the
ranks that compute at full speed (the 2-core VM runs 4 ranks at half speed;
None for one GPU per rank). Efficiency: strong (global batch B, b = B/p)
T_step(1, B) / (p T_step(p, B/p)); weak (b fixed) T_step(1, b) / T_step(p, b).

  scaling_model.py --results benchmarks/results/scaling_vm.json [--bw-gbs 25] [--latency-us 5]
      [--per-rank-batch 256] [--global-batch 65536] [--per-sample-us X] [--fixed-ms Y] [--overlap F]
"""
import argparse
import json
import sys

# InfiniBand HDR: 200 Gb/s = 25 GB/s per port, one port per GPU; about 5 us
# end-to-end latency per message step (NCCL's ring over IB reaches about
# 20-23 GB/s bus bandwidth; the model uses the link rate).
DEFAULT_BW_GBS = 25.0
DEFAULT_LATENCY_US = 5.0
TABLE_RANKS = [8, 16, 32, 64, 128, 256, 512, 1024]


def ring_allreduce_s(p, grad_bytes, buckets, bw_bytes_s, latency_s):
    if p <= 1:
        return 0.0
    return 2.0 * (p - 1) / p * grad_bytes / bw_bytes_s + buckets * 2.0 * (p - 1) * latency_s


def step_time_s(p, batch_per_rank, cal, comm_s, cores=None):
    """(T_step, exposed communication) in seconds; cal holds the calibration."""
    slow = max(1.0, p / cores) if cores else 1.0
    compute = (cal["fixed_s"] + batch_per_rank * cal["per_sample_s"]) * slow
    overlappable = cal["overlap_fraction"] * batch_per_rank * cal["backward_per_sample_s"] * slow
    exposed = max(0.0, comm_s - overlappable)
    return compute + exposed, exposed


def efficiency(mode, p, batch, cal, link, cores=None):
    """Predicted parallel efficiency; batch is global (strong) or per rank (weak)."""
    comm = ring_allreduce_s(p, cal["grad_bytes"], cal["buckets"], link["bw_bytes_s"], link["latency_s"])
    if mode == "strong":
        t1, _ = step_time_s(1, batch, cal, 0.0, cores)
        tp, exposed = step_time_s(p, batch / p, cal, comm, cores)
        return t1 / (p * tp), comm, exposed
    t1, _ = step_time_s(1, batch, cal, 0.0, cores)
    tp, exposed = step_time_s(p, batch, cal, comm, cores)
    return t1 / tp, comm, exposed


def fit_link(points):
    """Least-squares (bw, latency) of T = x / bw + y * lat over (x, y, T) with
    x = 2(p-1)/p * bytes and y = buckets * 2(p-1); latency clamped at >= 0."""
    sxx = sum(x * x for x, _, _ in points)
    sxy = sum(x * y for x, y, _ in points)
    syy = sum(y * y for _, y, _ in points)
    sxt = sum(x * t for x, _, t in points)
    syt = sum(y * t for _, y, t in points)
    det = sxx * syy - sxy * sxy
    inv_bw, lat = (0.0, 0.0)
    if det > 0:
        inv_bw = (sxt * syy - syt * sxy) / det
        lat = (sxx * syt - sxy * sxt) / det
    if det <= 0 or lat < 0 or inv_bw <= 0:
        lat = 0.0
        inv_bw = sxt / sxx
    return {"bw_bytes_s": 1.0 / inv_bw, "latency_s": lat}


def table(cal, link, per_rank_batch, global_batch, ranks=TABLE_RANKS):
    rows = []
    for p in ranks:
        weak, comm, exposed = efficiency("weak", p, per_rank_batch, cal, link)
        row = {"ranks": p, "comm_ms": comm * 1e3, "exposed_ms": exposed * 1e3, "weak_efficiency": weak}
        if global_batch >= p:
            row["strong_efficiency"], _, row["strong_exposed_ms"] = efficiency("strong", p, global_batch, cal, link)
            row["strong_exposed_ms"] *= 1e3
        rows.append(row)
    return rows


def print_table(rows, cal, link, per_rank_batch, global_batch, out=sys.stdout):
    print(f"# ring all-reduce model: bw {link['bw_bytes_s'] / 1e9:.3g} GB/s, latency {link['latency_s'] * 1e6:.3g} us, "
          f"{cal['grad_bytes'] / 1e6:.3g} MB of gradients in {cal['buckets']} bucket(s); compute "
          f"{cal['per_sample_s'] * 1e6:.3g} us/sample + {cal['fixed_s'] * 1e3:.3g} ms/step, overlap share of "
          f"backward {cal['overlap_fraction']:.2f}", file=out)
    print(f"# weak: {per_rank_batch} samples per rank; strong: global batch {global_batch}", file=out)
    print(f"{'ranks':>6} {'T_comm ms':>10} {'exposed ms':>11} {'weak eff':>9} {'strong eff':>11}", file=out)
    for r in rows:
        strong = f"{100 * r['strong_efficiency']:10.1f}%" if "strong_efficiency" in r else f"{'n/a':>11}"
        print(f"{r['ranks']:6d} {r['comm_ms']:10.3f} {r['exposed_ms']:11.3f} {100 * r['weak_efficiency']:8.1f}% {strong}",
              file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="scaling_*.json from analyze_scaling.py (the calibration)")
    ap.add_argument("--bw-gbs", type=float, default=DEFAULT_BW_GBS, help="link bandwidth per rank, GB/s (1e9 B)")
    ap.add_argument("--latency-us", type=float, default=DEFAULT_LATENCY_US, help="latency per message step, us")
    ap.add_argument("--per-rank-batch", type=int, default=None, help="weak scaling batch per rank")
    ap.add_argument("--global-batch", type=int, default=65536, help="strong scaling global batch")
    ap.add_argument("--per-sample-us", type=float, default=None, help="override the measured compute per sample")
    ap.add_argument("--fixed-ms", type=float, default=None, help="override the measured per-step fixed time")
    ap.add_argument("--overlap", type=float, default=None, help="override the overlappable share of backward")
    a = ap.parse_args()
    cal = dict(json.load(open(a.results))["model"]["calibration"])
    if a.per_sample_us is not None:
        ratio = a.per_sample_us * 1e-6 / cal["per_sample_s"]
        cal["per_sample_s"] *= ratio
        cal["backward_per_sample_s"] *= ratio
    if a.fixed_ms is not None:
        cal["fixed_s"] = a.fixed_ms * 1e-3
    if a.overlap is not None:
        cal["overlap_fraction"] = a.overlap
    link = {"bw_bytes_s": a.bw_gbs * 1e9, "latency_s": a.latency_us * 1e-6}
    per_rank = a.per_rank_batch or cal["weak_batch"]
    print_table(table(cal, link, per_rank, a.global_batch), cal, link, per_rank, a.global_batch)


if __name__ == "__main__":
    main()
