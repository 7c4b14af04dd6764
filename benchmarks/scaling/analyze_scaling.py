#!/usr/bin/env python3
"""Turns the runs of run_scaling.sh into the scaling results.

Per run, from its --trace timeline (steps after --warmup): the step time (per
step the slowest rank, then the median over steps), each phase's median
(mean over ranks), the data-wait share and the gradient bytes and buckets.
Per (mode, ranks), over the three --comm variants (medians over repeats):

  samples/s  = global batch / T_step(overlap)
  efficiency = samples/s(p) / (p * samples/s(1))         (strong and weak alike)
  T_allreduce = the "all-reduce wait" of --comm after-backward: the step's
               all-reduces alone, started after backward, nothing else running
  hidden     = 1 - (T_step(overlap) - T_step(off)) / T_allreduce

then calibrates and checks the model of scaling_model.py, writes the JSON
and an SVG plot (gnuplot). Run by run_scaling.sh.
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling_model  # noqa: E402

PHASES = ["data wait", "forward", "backward", "all-reduce wait", "optimizer", "step sums"]
TARGET_HIDDEN = 0.8


def trace_summary(path, warmup):
    """Per --comm mode of the steps ("comm" of each step event: one mode, or
    three in turn with --comm cycle), the timings of the steps after warmup."""
    d = json.load(open(path))
    per = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))  # step -> rank -> name -> us
    comm = {}                         # step -> its mode
    first_bucket = defaultdict(dict)  # step -> rank -> ts of the first bucket start
    backward = defaultdict(dict)      # step -> rank -> (ts, dur)
    buckets = defaultdict(list)       # step -> bucket bytes (rank 0)
    for e in d["traceEvents"]:
        if e["ph"] != "X" or "step" not in e["args"]:
            continue
        s, r, name = e["args"]["step"], e["pid"], e["name"]
        if name == "step" or name in PHASES:
            per[s][r][name] += e["dur"]
        if name == "step":
            comm[s] = e["args"]["comm"]
        if name == "backward":
            backward[s][r] = (e["ts"], e["dur"])
        if name == "all-reduce":
            first_bucket[s][r] = min(first_bucket[s].get(r, e["ts"]), e["ts"])
            if r == 0:
                buckets[s].append(e["args"]["bytes"])
    out = {}
    for mode in sorted(set(comm.values())):
        steps = sorted(s for s in per if s > warmup and comm.get(s) == mode)
        if not steps:
            raise SystemExit(f"analyze_scaling.py: {path} has no {mode} steps after the warm-up ({warmup})")
        out[mode] = summarize(per, steps, first_bucket, backward, buckets)
    return out


def summarize(per, steps, first_bucket, backward, buckets):
    ranks = sorted(per[steps[0]])
    step_ms = [max(per[s][r]["step"] for r in ranks) / 1e3 for s in steps]
    phases = {ph: statistics.median(statistics.mean(per[s][r][ph] for r in ranks) for s in steps) / 1e3
              for ph in PHASES}
    # The slowest rank's wait for the buckets has no waiting for other ranks in it.
    wait_min = statistics.median(min(per[s][r]["all-reduce wait"] for r in ranks) for s in steps) / 1e3
    total = sum(per[s][r]["step"] for s in steps for r in ranks)
    wait = sum(per[s][r]["data wait"] for s in steps for r in ranks)
    # The share of backward after the first bucket started: what overlap can hide behind.
    windows = [(bt + bd - first_bucket[s][r]) / bd for s in steps for r, (bt, bd) in backward[s].items()
               if r in first_bucket[s] and bd > 0]
    sizes = next((buckets[s] for s in steps if buckets[s]), [])
    return {"step_ms": statistics.median(step_ms), "phases_ms": phases, "allreduce_wait_min_ms": wait_min,
            "data_wait_share": wait / total, "grad_bytes": sum(sizes), "buckets": len(sizes), "bucket_bytes": sizes,
            "ranks": len(ranks), "steps": len(steps),
            "overlap_window": statistics.median([min(1.0, max(0.0, w)) for w in windows]) if windows else None}


def allreduce_bench_ms(results_dir, ranks, bucket_bytes):
    """The step's buckets timed alone by benchmarks/allreduce (aif-mpi-async,
    log-log interpolated between its sizes), when its results are there."""
    path = os.path.join(results_dir, f"allreduce_np{ranks}.json")
    if not os.path.exists(path):
        return None
    pts = sorted((r["bytes"], r["results"]["aif-mpi-async"]["time_us"]) for r in json.load(open(path))["rows"]
                 if "aif-mpi-async" in r.get("results", {}))
    total = 0.0
    for b in bucket_bytes:
        lo = max((p for p in pts if p[0] <= b), default=pts[0])
        hi = min((p for p in pts if p[0] >= b), default=pts[-1])
        if lo[0] == hi[0]:
            total += lo[1]
        else:
            w = math.log(b / lo[0]) / math.log(hi[0] / lo[0])
            total += math.exp(math.log(lo[1]) * (1 - w) + math.log(hi[1]) * w)
    return total / 1e3


def median_of(runs, key, sub=None):
    vals = [r[key][sub] if sub else r[key] for r in runs]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    return {"host": platform.node(), "cores": os.cpu_count(), "cpu_model": cpu,
            "load_average": open("/proc/loadavg").read().split()[:3],
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "")}


def analyze(runs, warmup, allreduce_results, least_disturbed=False):
    """Rows per (mode, ranks): medians over the repeats or, least_disturbed,
    per --comm variant the repeat with the shortest step (another job on the
    shared machine only ever makes a run slower)."""
    groups = defaultdict(list)
    for run in runs:
        if "summary" not in run:
            run["summary"] = trace_summary(run["trace"], warmup)
        for comm, summary in run["summary"].items():
            groups[(run["mode"], int(run["ranks"]), comm)].append(summary)
    if least_disturbed:
        groups = {k: [min(v, key=lambda x: x["step_ms"])] for k, v in groups.items()}
    rows = []
    for mode in ("strong", "weak"):
        base = None
        for p in sorted({k[1] for k in groups if k[0] == mode}):
            g = {c: groups.get((mode, p, c), []) for c in ("overlap", "after-backward", "off")}
            if not all(g.values()):
                continue
            batch = int(next(r["global_batch"] for r in runs if r["mode"] == mode and int(r["ranks"]) == p))
            on, after, off = (median_of(g[c], "step_ms") for c in ("overlap", "after-backward", "off"))
            allreduce = median_of(g["after-backward"], "allreduce_wait_min_ms")
            row = {"mode": mode, "ranks": p, "global_batch": batch, "per_rank_batch": batch // p,
                   "steps_per_mode": g["overlap"][0]["steps"],
                   "step_ms": {"overlap": on, "after-backward": after, "off": off},
                   "phases_ms": {ph: median_of(g["overlap"], "phases_ms", ph) for ph in PHASES},
                   "samples_per_s": batch / on * 1e3, "samples_per_s_comm_off": batch / off * 1e3,
                   "data_wait_share": median_of(g["overlap"], "data_wait_share"),
                   "allreduce_ms": allreduce, "exposed_wait_ms": median_of(g["overlap"], "phases_ms", "all-reduce wait"),
                   "grad_bytes": g["overlap"][0]["grad_bytes"], "buckets": g["overlap"][0]["buckets"],
                   "overlap_window": median_of(g["overlap"], "overlap_window"), "repeats": len(g["overlap"])}
            if p > 1:
                row["allreduce_bench_ms"] = allreduce_bench_ms(allreduce_results, p, g["overlap"][0]["bucket_bytes"])
            if p > 1 and allreduce:
                row["hidden_share"] = 1 - (on - off) / allreduce
                row["hidden_share_from_wait"] = 1 - row["exposed_wait_ms"] / allreduce
                # Robust to skew between ranks: the last rank's wait with overlap,
                # plus what overlap added to backward (the all-reduce's CPU work
                # and progress polls moved into it), against the last rank's
                # wait for the all-reduce alone.
                slower_backward = (median_of(g["overlap"], "phases_ms", "backward") -
                                   median_of(g["off"], "phases_ms", "backward"))
                row["backward_slowdown_ms"] = slower_backward
                row["hidden_share_from_phases"] = 1 - (median_of(g["overlap"], "allreduce_wait_min_ms") +
                                                       slower_backward) / allreduce
            if p == 1:
                base = row
            if base:
                row["efficiency"] = row["samples_per_s"] / (p * base["samples_per_s"])
                row["efficiency_comm_off"] = row["samples_per_s_comm_off"] / (p * base["samples_per_s_comm_off"])
            rows.append(row)
    return rows


def calibrate(rows, cores):
    """The model's inputs from the 1-rank runs (compute) and the multi-rank ones (link, overlap window)."""
    ones = sorted((r for r in rows if r["ranks"] == 1), key=lambda r: r["per_rank_batch"])
    if not ones:
        raise SystemExit("analyze_scaling.py: no 1-rank runs to calibrate the model with")
    # T_step(b) = t_fixed + b t_sample through the 1-rank points (comm off: no communication at all).
    pts = [(r["per_rank_batch"], r["step_ms"]["off"] / 1e3, r["phases_ms"]["backward"] / 1e3) for r in ones]
    (b0, t0, w0), (b1, t1, w1) = pts[0], pts[-1]
    per_sample = (t1 - t0) / (b1 - b0) if b1 != b0 else t1 / b1
    fixed = max(0.0, t1 - b1 * per_sample)
    if fixed == 0.0:
        per_sample = t1 / b1
    multi = [r for r in rows if r["ranks"] > 1]
    link = scaling_model.fit_link([(2 * (r["ranks"] - 1) / r["ranks"] * r["grad_bytes"],
                                    r["buckets"] * 2 * (r["ranks"] - 1), r["allreduce_ms"] / 1e3) for r in multi])
    windows = [r["overlap_window"] for r in multi if r["overlap_window"] is not None]
    cal = {"per_sample_s": per_sample, "fixed_s": fixed, "backward_per_sample_s": w1 / b1,
           "overlap_fraction": statistics.median(windows) if windows else 0.0,
           "grad_bytes": ones[0]["grad_bytes"], "buckets": ones[0]["buckets"],
           "weak_batch": next((r["per_rank_batch"] for r in rows if r["mode"] == "weak"), b1), "cores": cores}
    return cal, link


def check_model(rows, cal, link, cores):
    out = []
    for r in rows:
        if r["ranks"] == 1:
            continue
        batch = r["global_batch"] if r["mode"] == "strong" else r["per_rank_batch"]
        pred, comm, exposed = scaling_model.efficiency(r["mode"], r["ranks"], batch, cal, link, cores)
        no_overlap = dict(cal, overlap_fraction=0.0)
        pred0, _, _ = scaling_model.efficiency(r["mode"], r["ranks"], batch, no_overlap, link, cores)
        out.append({"mode": r["mode"], "ranks": r["ranks"], "measured": r["efficiency"], "predicted": pred,
                    "error": pred - r["efficiency"], "predicted_without_overlap": pred0,
                    "error_without_overlap": pred0 - r["efficiency"], "comm_ms": comm * 1e3,
                    "measured_allreduce_ms": r["allreduce_ms"],
                    # the communication part alone: what the step loses to it
                    "exposed_ms": {"measured": r["step_ms"]["overlap"] - r["step_ms"]["off"],
                                   "predicted": exposed * 1e3, "predicted_without_overlap": comm * 1e3}})
    return out


def plot(rows, svg):
    if not shutil.which("gnuplot"):
        print("analyze_scaling.py: gnuplot not installed; no plot (apt-get install gnuplot-nox)", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("strong", "weak"):
            with open(f"{tmp}/{mode}.tsv", "w") as f:  # the medians
                for r in (r for r in rows if r["mode"] == mode):
                    print(r["ranks"], r["samples_per_s"], r["samples_per_s_comm_off"], r["efficiency"],
                          r["efficiency_comm_off"], r.get("hidden_share", "NaN"), r["data_wait_share"], file=f)
        script = f"""set terminal svg size 1100,480 dynamic enhanced font "sans,12" background "white"
set output '{svg}'
set multiplot layout 1,2 title 'aif train data-parallel scaling (Fashion-MNIST MLP)'
set grid; set key top left; set xlabel 'ranks'; set logscale x 2; set xtics (1,2,4,8,16,32,64)
set title 'throughput'; set ylabel 'samples/s'; set yrange [0:*]
plot '{tmp}/strong.tsv' using 1:2 with linespoints lw 2 title 'strong', \
     '{tmp}/strong.tsv' using 1:3 with linespoints dt 2 title 'strong, comm off', \
     '{tmp}/weak.tsv' using 1:2 with linespoints lw 2 title 'weak', \
     '{tmp}/weak.tsv' using 1:3 with linespoints dt 2 title 'weak, comm off'
set title 'efficiency, hidden all-reduce share, data wait'; set ylabel 'share'; set yrange [-0.25:*]; set key top right
plot '{tmp}/strong.tsv' using 1:4 with linespoints lw 2 title 'strong efficiency', \
     '{tmp}/weak.tsv' using 1:4 with linespoints lw 2 title 'weak efficiency', \
     '{tmp}/strong.tsv' using 1:6 with linespoints dt 3 title 'strong hidden', \
     '{tmp}/weak.tsv' using 1:6 with linespoints dt 3 title 'weak hidden', \
     '{tmp}/weak.tsv' using 1:7 with lines dt 4 title 'data wait (weak)', \
     {TARGET_HIDDEN} with lines lc rgb 'gray' dt 2 title 'target hidden 0.8'
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"wrote {svg}")


def print_rows(rows):
    print(f"{'mode':6} {'p':>2} {'batch':>6} {'step ms':>8} {'off ms':>7} {'after ms':>8} {'AR ms':>6} "
          f"{'bench':>6} {'samples/s':>10} {'eff':>6} {'eff off':>7} {'wait':>5} {'hidden':>7} {'(phases)':>8}")
    for r in rows:
        s = r["step_ms"]
        hidden = f"{100 * r['hidden_share']:6.0f}%" if "hidden_share" in r else f"{'-':>7}"
        phases = f"{100 * r['hidden_share_from_phases']:7.0f}%" if "hidden_share_from_phases" in r else f"{'-':>8}"
        bench = f"{r['allreduce_bench_ms']:6.2f}" if r.get("allreduce_bench_ms") is not None else f"{'-':>6}"
        print(f"{r['mode']:6} {r['ranks']:2d} {r['global_batch']:6d} {s['overlap']:8.2f} {s['off']:7.2f} "
              f"{s['after-backward']:8.2f} {r['allreduce_ms']:6.2f} {bench} {r['samples_per_s']:10.0f} "
              f"{100 * r['efficiency']:5.1f}% {100 * r['efficiency_comm_off']:6.1f}% "
              f"{100 * r['data_wait_share']:4.1f}% {hidden} {phases}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True, help="runs.jsonl written by run_scaling.sh")
    ap.add_argument("--warmup", type=int, default=20, help="steps left out of the timings")
    ap.add_argument("--aif", default="aif", help="the binary (for --version)")
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg", default="")
    ap.add_argument("--driver-command", default="")
    ap.add_argument("--launcher", default="")
    ap.add_argument("--allreduce-results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                                   "results"),
                    help="where benchmarks/allreduce wrote allreduce_np<P>.json (a cross-check of T_allreduce)")
    ap.add_argument("--cores", type=int, default=os.cpu_count(), help="ranks that compute at full speed")
    a = ap.parse_args()
    runs = [json.loads(l) for l in open(a.manifest) if l.strip()]
    rows = analyze(runs, a.warmup, a.allreduce_results)
    cal, link = calibrate(rows, a.cores)
    check = check_model(rows, cal, link, a.cores)
    best = analyze(runs, a.warmup, a.allreduce_results, least_disturbed=True)
    best_cal, best_link = calibrate(best, a.cores)
    best_check = check_model(best, best_cal, best_link, a.cores)
    hpc_link = {"bw_bytes_s": scaling_model.DEFAULT_BW_GBS * 1e9, "latency_s": scaling_model.DEFAULT_LATENCY_US * 1e-6}
    global_batch = 65536
    table = scaling_model.table(cal, hpc_link, cal["weak_batch"], global_batch)
    hidden = [r["hidden_share"] for r in rows if "hidden_share" in r]
    hidden_best = [r["hidden_share"] for r in best if "hidden_share" in r]
    version = subprocess.run([a.aif, "--version"], capture_output=True, text=True).stdout.strip()
    result = {
        "benchmark": "scaling", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
        "aif_version": version, "driver_command": a.driver_command, "launcher": a.launcher, "warmup_steps": a.warmup,
        "definitions": {
            "step_ms": "per step the slowest rank's step, median over the steps after the warm-up and over repeats",
            "efficiency": "samples_per_s(p) / (p * samples_per_s(1)), the same mode's 1-rank run",
            "allreduce_ms": "with --comm after-backward, per step the smallest 'all-reduce wait' over the ranks "
                            "(the last rank to finish backward waits for no other), median: the all-reduces alone",
            "hidden_share": "1 - (step_ms.overlap - step_ms.off) / allreduce_ms",
            "hidden_share_from_wait": "1 - exposed 'all-reduce wait' (overlap) / allreduce_ms",
            "hidden_share_from_phases": "1 - (the last rank's 'all-reduce wait' with overlap + backward_slowdown_ms)"
                                        " / allreduce_ms; backward_slowdown_ms = backward (overlap) - backward (off)",
            "data_wait_share": "time blocked on the reader / step time, all ranks",
            "allreduce_bench_ms": "the same buckets timed alone by benchmarks/allreduce (aif-mpi-async), if run"},
        "rows": rows, "rows_least_disturbed": best,
        "model": {"calibration": cal, "measured_link": link, "check": check,
                  "hpc_link": hpc_link, "table_global_batch": global_batch, "table": table},
        "model_least_disturbed": {"calibration": best_cal, "measured_link": best_link, "check": best_check},
        "target": {"hidden_share": TARGET_HIDDEN, "measured": hidden, "measured_least_disturbed": hidden_best,
                   "met": bool(hidden) and min(hidden) >= TARGET_HIDDEN},
        "runs": [{k: v for k, v in r.items() if k != "summary"} | {"summary": r["summary"]} for r in runs],
    }
    with open(a.json + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(a.json + ".tmp", a.json)
    for title, rs, ch, li in (("medians over repeats", rows, check, link),
                              ("least disturbed repeat", best, best_check, best_link)):
        print(f"# {title}")
        print_rows(rs)
        print(f"# model check on this machine (shm link fitted: {li['bw_bytes_s'] / 1e9:.3g} GB/s, "
              f"{li['latency_s'] * 1e6:.3g} us; {a.cores} cores)")
        for c in ch:
            print(f"{c['mode']:6} p={c['ranks']}: measured {100 * c['measured']:.1f}%, predicted "
                  f"{100 * c['predicted']:.1f}% (error {100 * c['error']:+.1f} points; without overlap "
                  f"{100 * c['predicted_without_overlap']:.1f}%, error "
                  f"{100 * c['error_without_overlap']:+.1f}); exposed comm: measured "
                  f"{c['exposed_ms']['measured']:.2f} ms, predicted {c['exposed_ms']['predicted']:.2f} ms "
                  f"({c['exposed_ms']['predicted_without_overlap']:.2f} without overlap)")
        print()
    print()
    print("# the model at HPC scale, calibrated with the medians")
    scaling_model.print_table(table, cal, hpc_link, cal["weak_batch"], global_batch)
    print(f"\nwrote {a.json}")
    if a.svg:
        plot(rows, a.svg)


if __name__ == "__main__":
    main()
