// All-reduce sweep: aif's Communicator against raw MPI, message sizes from
// --min-bytes to --max-bytes (doubling), every entry of allreduce_contenders
// in the same run, interleaved run by run (in rotating order) so that the
// machine's drift hits all alike.
//
// Per size and entry: correctness first (exact-sum inputs, every element
// checked, the `#wrong` column), warm-up, then timed runs. A run is `reps`
// back-to-back calls (enough for about 1 ms, so small messages are not
// lost in the clock and the barrier), its time per call the slowest rank's;
// the table shows the median over runs, the JSON also the minimum. Large sizes get fewer
// runs (at least 5) to stay within --budget-s seconds per size and entry.
// Bandwidths are nccl-tests' (PERFORMANCE.md): algbw = bytes / time, busbw =
// algbw * 2(n-1)/n, in GB/s (1e9 bytes).
//
//   mpirun -np N build/benchmarks/aif_allreduce_bench [--min-bytes 8] [--max-bytes 1G] [--iters 20]
//       [--warmup 5] [--budget-s 10] [--json FILE] [--require-target]
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "allreduce/allreduce_check.h"        // FillPattern, CountWrong
#include "allreduce/allreduce_contenders.h"  // the entries compared
#include "bench_mpi.h"                       // MpiSession, MaxOverRanks
#include "bench_util.h"                      // Since, Median, Min, MachineJson, LoadAverage
#include "comm/library_versions.h"           // MpiLibraryVersion, NcclLibraryVersion
#include "core/strings.h"                    // ParseBytes, HumanBytes
#include "core/version.h"                    // AifVersion, GitCommit

namespace aif {
namespace bench {
namespace {

constexpr double kRunSeconds = 1e-3;    // a run lasts at least this long
constexpr int kMaxReps = 1000;          // calls per run
constexpr int kMinRuns = 5;             // even for the largest sizes
constexpr int64_t kRatioFromBytes = 1 << 20;  // ratios are reported from 1 MiB
constexpr double kTargetRatio = 0.95;

struct Options {
  int64_t min_bytes = 8, max_bytes = int64_t{1} << 30;
  int iters = 20, warmup = 5;
  double budget_s = 10;
  std::string json;
  bool require_target = false;
};

struct Result {
  std::vector<double> run_times_us;  // per run, in run order
  double time_us = 0, time_us_min = 0, algbw = 0, busbw = 0;
  int64_t wrong = 0;
  int runs = 0, reps = 0;
  // The median is over 1.5 times the minimum: another job took a core
  // during many runs (a shared machine); the result is not to be trusted.
  bool noisy() const { return time_us > 1.5 * time_us_min; }
};

double BusFactor(int ranks) { return 2.0 * (ranks - 1) / ranks; }

// One buffer per device, as large as the largest message, shared by all
// entries on that device so they reduce the very same memory.
class Buffers {
 public:
  explicit Buffers(int64_t max_count) : max_count_(max_count) {}
  Tensor For(DeviceType device, int64_t count) {
    auto it = buffers_.find(device);
    if (it == buffers_.end()) it = buffers_.emplace(device, Tensor::Zeros({max_count_}, DType::kF32, device)).first;
    return it->second.View(0, {count});
  }

 private:
  int64_t max_count_;
  std::map<DeviceType, Tensor> buffers_;
};

// Fills `work` with rank's pattern, all-reduces once, counts wrong elements
// over all ranks.
int64_t CheckOnce(const Contender& c, const Tensor& work, int rank, int ranks) {
  Tensor host = work.device() == DeviceType::kCpu ? work : Tensor::Empty(work.shape());
  FillPattern(host.data<float>(), host.numel(), rank);
  if (host.raw() != work.raw()) work.CopyFrom(host);
  c.all_reduce(work);
  if (host.raw() != work.raw()) host.CopyFrom(work);
  return static_cast<int64_t>(SumOverRanks(static_cast<double>(CountWrong(host.data<float>(), host.numel(), ranks))));
}

// One call's time, the slowest rank's.
double TimeOneCall(const Contender& c, const Tensor& work) {
  MPI_Barrier(MPI_COMM_WORLD);
  auto t0 = Clock::now();
  c.all_reduce(work);
  return MaxOverRanks(Since(t0));
}

// Measures one size for every runnable entry; results in entry order.
std::vector<Result> MeasureSize(const std::vector<const Contender*>& entries, Buffers& buffers, int64_t count,
                                const Options& o, int rank, int ranks) {
  const size_t n = entries.size();
  std::vector<Result> results(n);
  std::vector<Tensor> work(n);
  double slowest_run = 0;
  for (size_t e = 0; e < n; ++e) {
    work[e] = buffers.For(entries[e]->device, count);
    results[e].wrong = CheckOnce(*entries[e], work[e], rank, ranks);
    work[e].SetZero();  // timed calls reduce zeros: bounded values, same speed
    double per_call = TimeOneCall(*entries[e], work[e]);
    const int extra = static_cast<int>(std::min<double>(o.warmup - 1, 0.25 * o.budget_s / std::max(per_call, 1e-9)));
    for (int w = 0; w < extra; ++w) per_call = TimeOneCall(*entries[e], work[e]);
    results[e].reps = static_cast<int>(std::clamp(std::ceil(kRunSeconds / std::max(per_call, 1e-9)), 1.0,
                                                  static_cast<double>(kMaxReps)));
    slowest_run = std::max(slowest_run, per_call * results[e].reps);
  }
  const int runs = static_cast<int>(std::clamp(std::floor(o.budget_s / std::max(slowest_run, 1e-9)),
                                               static_cast<double>(std::min(kMinRuns, o.iters)),
                                               static_cast<double>(o.iters)));
  std::vector<std::vector<double>> times(n, std::vector<double>(runs));
  for (int r = 0; r < runs; ++r) {
    for (size_t k = 0; k < n; ++k) {
      const size_t e = (r + k) % n;  // rotated, so no entry always follows the same one
      MPI_Barrier(MPI_COMM_WORLD);
      auto t0 = Clock::now();
      for (int call = 0; call < results[e].reps; ++call) entries[e]->all_reduce(work[e]);
      times[e][r] = Since(t0) / results[e].reps;
    }
  }
  const double bytes = static_cast<double>(count) * 4;
  for (size_t e = 0; e < n; ++e) {
    times[e] = MaxOverRanks(times[e]);
    Result& res = results[e];
    res.runs = runs;
    for (double t : times[e]) res.run_times_us.push_back(t * 1e6);
    res.time_us = Median(times[e]) * 1e6;
    res.time_us_min = Min(times[e]) * 1e6;
    res.algbw = bytes / (res.time_us * 1e-6) / 1e9;
    res.busbw = res.algbw * BusFactor(ranks);
  }
  return results;
}

// Refuses a --max-bytes that the node cannot hold: each rank keeps one buffer
// and MPI may need about as much again for temporaries.
void CheckMemory(int64_t max_bytes, int rank) {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_ranks = 1;
  MPI_Comm_size(node, &local_ranks);
  MPI_Comm_free(&node);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  while (meminfo >> key >> kib && key != "MemAvailable:") meminfo.ignore(256, '\n');
  const double need = 2.0 * static_cast<double>(max_bytes) * local_ranks, have = static_cast<double>(kib) * 1024;
  if (key == "MemAvailable:" && need > 0.9 * have) {
    if (rank == 0) {
      std::fprintf(stderr, "--max-bytes %s on %d ranks of this node needs about %s, but only %s is available; "
                   "lower --max-bytes\n", HumanBytes(static_cast<double>(max_bytes)).c_str(), local_ranks,
                   HumanBytes(need).c_str(), HumanBytes(have).c_str());
    }
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
}

void PrintHeader(const std::vector<const Contender*>& entries) {
  std::printf("#%29s", "");
  for (const Contender* c : entries) std::printf("  %-34s", c->name.c_str());
  std::printf("\n#%11s %11s %5s %5s", "size(B)", "count", "type", "redop");
  for (size_t e = 0; e < entries.size(); ++e) std::printf("  %10s %7s %7s %6s", "time(us)", "algbw", "busbw", "#wrong");
  for (const Contender* c : entries) {
    if (!c->peer.empty()) std::printf("  %16s", (c->name + "/" + c->peer).c_str());
  }
  std::printf("\n");
}

// What the sweep accumulates over sizes for the summary.
struct Tally {
  int64_t wrong = 0, noisy = 0;
  // entry -> its ratios to its peer from kRatioFromBytes, of the median
  // times (the result) and of the minimum times (the speed when no other
  // job interferes)
  std::map<std::string, std::vector<double>> of_medians, of_minima;
  std::map<std::string, std::string> peer_of;
};

double GeometricMean(const std::vector<double>& v) {
  double log_sum = 0;
  for (double x : v) log_sum += std::log(x);
  return std::exp(log_sum / v.size());
}

// Measures and prints one size; returns its JSON row.
nlohmann::json SweepSize(const std::vector<const Contender*>& entries, Buffers& buffers, int64_t count,
                         const Options& o, int rank, int ranks, Tally* tally) {
  std::vector<Result> res = MeasureSize(entries, buffers, count, o, rank, ranks);
  nlohmann::json row = {{"bytes", count * 4}, {"count", count}, {"results", nlohmann::json::object()}};
  if (rank == 0) std::printf(" %11lld %11lld %5s %5s", static_cast<long long>(count * 4), static_cast<long long>(count),
                             "float", "sum");
  for (size_t e = 0; e < entries.size(); ++e) {
    const Result& r = res[e];
    tally->wrong += r.wrong;
    tally->noisy += r.noisy();
    row["results"][entries[e]->name] = {{"time_us", r.time_us}, {"time_us_min", r.time_us_min},
                                        {"algbw_gbs", r.algbw}, {"busbw_gbs", r.busbw}, {"wrong", r.wrong},
                                        {"runs", r.runs}, {"calls_per_run", r.reps}, {"noisy", r.noisy()},
                                        {"run_times_us", r.run_times_us}};
    if (rank == 0) {
      std::printf("  %9.2f%c %7.3f %7.3f %6lld", r.time_us, r.noisy() ? '!' : ' ', r.algbw, r.busbw,
                  static_cast<long long>(r.wrong));
    }
  }
  for (size_t e = 0; e < entries.size(); ++e) {
    if (entries[e]->peer.empty()) continue;
    size_t peer = 0;
    while (peer < entries.size() && entries[peer]->name != entries[e]->peer) ++peer;
    if (peer == entries.size() || count * 4 < kRatioFromBytes) {
      if (rank == 0) std::printf("  %16s", "-");
      continue;
    }
    const std::string& name = entries[e]->name;
    tally->peer_of[name] = entries[e]->peer;
    tally->of_medians[name].push_back(res[peer].time_us / res[e].time_us);
    tally->of_minima[name].push_back(res[peer].time_us_min / res[e].time_us_min);
    row["ratio_to_peer"][name] = tally->of_medians[name].back();
    row["ratio_to_peer_of_minima"][name] = tally->of_minima[name].back();
    if (rank == 0) std::printf("  %15.1f%%", 100 * tally->of_medians[name].back());
  }
  if (rank == 0) std::printf("\n"), std::fflush(stdout);
  return row;
}

// Prints the summary lines and returns them as JSON. The target: no wrong
// element, and aif-mpi's geometric-mean ratio >= kTargetRatio on 2+ ranks.
nlohmann::json Summarize(const Tally& tally, int rank, int ranks) {
  nlohmann::json summary = {{"wrong_elements", tally.wrong}, {"noisy_results", tally.noisy},
                            {"target_ratio", kTargetRatio}, {"target_applies", ranks > 1}};
  bool target_met = tally.wrong == 0;
  if (rank == 0) {
    std::printf("#\n# wrong elements, all sizes and entries: %lld; noisy results (!): %lld\n",
                static_cast<long long>(tally.wrong), static_cast<long long>(tally.noisy));
    // On one rank an in-place all-reduce moves nothing: the ratios then only
    // compare fixed per-call costs of a few tens of nanoseconds.
    if (ranks == 1) std::printf("# one rank: ratios compare per-call overheads only; the target applies to 2+ ranks\n");
  }
  for (const auto& [name, list] : tally.of_medians) {
    const double geomean = GeometricMean(list), worst = Min(list), of_minima = GeometricMean(tally.of_minima.at(name));
    const bool met = geomean >= kTargetRatio;
    if (name == "aif-mpi" && ranks > 1) target_met = target_met && met;
    summary["ratios"][name] = {{"geomean", geomean}, {"min", worst}, {"geomean_of_minima", of_minima},
                               {"sizes", list.size()}, {"target_met", met}};
    if (rank == 0) {
      std::printf("# %s / %s from %s: geomean %.1f%%, min %.1f%% over %zu sizes (of the minimum times: %.1f%%); "
                  "target >= %.0f%%: %s\n",
                  name.c_str(), tally.peer_of.at(name).c_str(), HumanBytes(kRatioFromBytes).c_str(), 100 * geomean, 100 * worst, list.size(),
                  100 * of_minima, 100 * kTargetRatio, ranks == 1 ? "does not apply" : met ? "met" : "NOT met");
    }
  }
  summary["target_met"] = target_met;
  return summary;
}

int Main(const Options& o, const MpiSession& mpi, const std::string& command) {
  const int rank = mpi.rank(), ranks = mpi.size();
  const std::string load_at_start = LoadAverage();
  CheckMemory(o.max_bytes, rank);
  std::vector<Contender> all = MakeContenders();
  std::vector<const Contender*> entries;
  nlohmann::json backends = nlohmann::json::array();
  for (const Contender& c : all) {
    backends.push_back({{"name", c.name}, {"call", c.what}, {"peer", c.peer}, {"available", c.unavailable.empty()}});
    if (!c.unavailable.empty()) backends.back()["unavailable"] = c.unavailable;
    if (c.unavailable.empty()) entries.push_back(&c);
  }
  if (rank == 0) {
    std::printf("# aif all-reduce sweep: %d ranks, %s, float sum in place\n", ranks, MpiLibraryVersion().c_str());
    for (const Contender& c : all) {
      if (c.unavailable.empty()) std::printf("#   %-14s %s\n", c.name.c_str(), c.what.c_str());
      else std::printf("#   %-14s skipped: %s\n", c.name.c_str(), c.unavailable.c_str());
    }
    std::printf("# algbw = bytes / time, busbw = algbw * 2(n-1)/n (GB/s, 1e9 B); time: median over runs (us);\n"
                "# ratio = peer time / time (= busbw ratio), from %s; '!' marks a median over 1.5x the minimum (noisy)\n#\n",
                HumanBytes(kRatioFromBytes).c_str());
  }
  Buffers buffers(o.max_bytes / 4);
  for (const Contender* c : entries) buffers.For(c->device, 0);  // allocate and touch before timing
  if (rank == 0) PrintHeader(entries);
  Tally tally;
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t bytes = o.min_bytes; bytes <= o.max_bytes; bytes *= 2) {
    rows.push_back(SweepSize(entries, buffers, bytes / 4, o, rank, ranks, &tally));
  }
  const nlohmann::json summary = Summarize(tally, rank, ranks);
  if (rank == 0 && !o.json.empty()) {
    nlohmann::json out = {{"benchmark", "allreduce"},
                          {"command", command},
                          {"machine", MachineJson()},
                          {"load_average", {{"start", load_at_start}, {"end", LoadAverage()}}},
                          {"versions", {{"mpi", MpiLibraryVersion()}, {"nccl", NcclLibraryVersion()},
                                        {"aif", AifVersion()}, {"git_commit", GitCommit()}}},
                          {"ranks", ranks},
                          {"definitions", {{"time_us", "median over runs of the slowest rank's time per call"},
                                           {"algbw_gbs", "bytes / time / 1e9"},
                                           {"busbw_gbs", "algbw * 2(n-1)/n"},
                                           {"ratio_to_peer", "peer time / time (medians)"},
                                           {"ratio_to_peer_of_minima", "the same of the minimum times"},
                                           {"noisy", "median > 1.5 x minimum: another job interfered"}}},
                          {"options", {{"min_bytes", o.min_bytes}, {"max_bytes", o.max_bytes}, {"iters", o.iters},
                                       {"warmup", o.warmup}, {"budget_s", o.budget_s}}},
                          {"backends", backends},
                          {"rows", rows},
                          {"summary", summary}};
    std::ofstream(o.json) << out.dump(2) << "\n";
  }
  return o.require_target && !summary["target_met"].get<bool>() ? 1 : 0;
}

}  // namespace
}  // namespace bench
}  // namespace aif

int main(int argc, char** argv) {
  const std::string command = aif::bench::CommandLine(argc, argv);
  aif::bench::MpiSession mpi(&argc, &argv);
  aif::bench::Options o;
  std::string error;
  for (int i = 1; i < argc && error.empty(); ++i) {
    const std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    auto bytes = [&](int64_t* out) {
      auto b = aif::ParseBytes(v);
      if (!b) error = "cannot read " + a + " '" + v + "' as a size (8, 64K, 1M, 1G)";
      else *out = static_cast<int64_t>(*b);
      ++i;
    };
    if (a == "--min-bytes") bytes(&o.min_bytes);
    else if (a == "--max-bytes") bytes(&o.max_bytes);
    else if (a == "--iters") o.iters = std::atoi(v.c_str()), ++i;
    else if (a == "--warmup") o.warmup = std::atoi(v.c_str()), ++i;
    else if (a == "--budget-s") o.budget_s = std::atof(v.c_str()), ++i;
    else if (a == "--json") o.json = v, ++i;
    else if (a == "--require-target") o.require_target = true;
    else error = "unknown option '" + a + "'";
  }
  if (error.empty() && (o.min_bytes < 4 || o.min_bytes > o.max_bytes)) error = "need 4 <= --min-bytes <= --max-bytes";
  if (error.empty() && o.max_bytes / 4 > INT_MAX) error = "--max-bytes must stay below 8 GiB (MPI counts are int)";
  if (error.empty() && (o.iters < 1 || o.warmup < 1 || o.budget_s <= 0)) error = "--iters, --warmup and --budget-s must be positive";
  return aif::bench::RunOrUsage(mpi, "aif_allreduce_bench", error,
                                "[--min-bytes 8] [--max-bytes 1G] [--iters 20] [--warmup 5] [--budget-s 10] "
                                "[--json FILE] [--require-target]",
                                [&] { return aif::bench::Main(o, mpi, command); });
}
