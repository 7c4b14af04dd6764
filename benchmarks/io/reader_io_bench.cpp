// ShardedReader throughput against a raw sequential read of the same file,
// on 1..N ranks of mpirun, cold and warm page cache, in one run.
//
// Reader: every rank opens a ShardedReader on the dataset and takes its
// share of every global batch for one epoch (open included, as a job pays
// it). Raw: every rank read()s a contiguous 1/N of the whole file in
// --block-mib blocks (one rank: the plain sequential read). Aggregate
// throughput = bytes / the slowest rank's time, where the reader's bytes are
// the samples it delivers (stored size: features + label) and raw's are the
// file's. Cold runs evict the file from the page cache before each run (see
// page_cache.h; the method used is reported). Correctness first: one epoch
// is checked sample by sample (reader_check.h). Medians of --repeats;
// --stages (on one rank) adds where the epoch's time goes (reader_stages.h).
//
//   mpirun -np N build/benchmarks/aif_reader_io_bench --data FILE [--split train] [--batch 256]
//       [--repeats 9] [--block-mib 4] [--cache cold,warm] [--stages] [--json FILE] [--require-target]
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_mpi.h"              // MpiSession, MaxOverRanks, SumOverRanks
#include "bench_util.h"             // Clock, Since, Median, MachineJson, CommandLine
#include "comm/library_versions.h"  // MpiLibraryVersion
#include "core/error.h"             // ThrowErrno
#include "core/fs.h"                // FileSize, PathExists
#include "core/strings.h"           // Split
#include "core/version.h"           // AifVersion, GitCommit
#include "data/sharded_reader.h"    // the reader under test
#include "io/page_cache.h"          // EvictFromPageCache
#include "io/reader_check.h"        // CheckReaderEpoch
#include "io/reader_stages.h"       // TimeReaderStages

namespace aif {
namespace bench {
namespace {

constexpr double kTargetRatio = 0.90;

struct Options {
  std::string data, json, split = "train";
  int64_t batch = 256, block_mib = 4;
  int repeats = 9;
  std::vector<std::string> caches = {"cold", "warm"};
  bool stages = false, require_target = false;
};

struct EpochRun {
  double seconds = 0;
  ReaderStats stats;
};

// This rank's part of one epoch, from opening the file to the last batch.
EpochRun ReadEpoch(const Options& o, const ReaderOptions& ro, int rank, int ranks) {
  auto t0 = Clock::now();
  ShardedReader reader(o.data, ro, rank, ranks);
  for (int64_t t = 0, n = reader.batches_per_epoch(); t < n; ++t) reader.Recycle(reader.Next());  // as training does
  return {Since(t0), reader.stats()};
}

// This rank's contiguous 1/ranks of the file, read() in blocks; its time.
double ReadRaw(const Options& o, uint64_t file_bytes, int rank, int ranks, std::vector<char>* block) {
  const uint64_t begin = file_bytes * rank / ranks, end = file_bytes * (rank + 1) / ranks;
  auto t0 = Clock::now();
  int fd = open(o.data.c_str(), O_RDONLY);
  if (fd < 0) ThrowErrno("cannot open " + o.data);
  if (lseek(fd, static_cast<off_t>(begin), SEEK_SET) < 0) ThrowErrno("cannot seek in " + o.data);
  for (uint64_t at = begin; at < end;) {
    ssize_t got = read(fd, block->data(), std::min<uint64_t>(block->size(), end - at));
    if (got <= 0) ThrowErrno("cannot read " + o.data);
    at += static_cast<uint64_t>(got);
  }
  close(fd);
  return Since(t0);
}

// Rank 0 evicts the file (the page cache is the node's); all ranks wait.
std::string Evict(const std::string& path, int rank) {
  MPI_Barrier(MPI_COMM_WORLD);
  std::string method = rank == 0 ? EvictFromPageCache(path) : "";
  MPI_Barrier(MPI_COMM_WORLD);
  return method;
}

// The epoch's size: samples delivered and stored bytes per sample.
struct EpochSize {
  int64_t samples = 0, sample_bytes = 0, split_rows = 0;
  double bytes() const { return static_cast<double>(samples * sample_bytes); }
};

EpochSize SizeOfEpoch(const Options& o, const ReaderOptions& ro) {
  ShardedReader probe(o.data, ro, 0, 1);
  const DatasetSchema& s = probe.dataset().schema();
  return {probe.batches_per_epoch() * o.batch,
          s.num_features() * static_cast<int64_t>(FeatureTypeSize(s.feature_type)) + 4, probe.split().rows};
}

// Reader and raw runs, alternating, for one cache state; prints its line.
nlohmann::json MeasureCacheState(const Options& o, const ReaderOptions& ro, const EpochSize& epoch, bool cold,
                                 uint64_t file_bytes, int rank, int ranks) {
  std::vector<char> block(static_cast<size_t>(o.block_mib) << 20);
  std::string method = "-";
  if (!cold) {  // warm-up: the file and the code paths
    ReadEpoch(o, ro, rank, ranks);
    ReadRaw(o, file_bytes, rank, ranks, &block);
  }
  std::vector<double> reader_s, raw_s;
  double bytes_read = 0;
  for (int r = 0; r < o.repeats; ++r) {
    if (cold) method = Evict(o.data, rank);
    MPI_Barrier(MPI_COMM_WORLD);
    EpochRun run = ReadEpoch(o, ro, rank, ranks);
    reader_s.push_back(MaxOverRanks(run.seconds));
    bytes_read = SumOverRanks(static_cast<double>(run.stats.bytes_read));
    if (cold) Evict(o.data, rank);
    MPI_Barrier(MPI_COMM_WORLD);
    raw_s.push_back(MaxOverRanks(ReadRaw(o, file_bytes, rank, ranks, &block)));
  }
  const double reader_t = Median(reader_s), raw_t = Median(raw_s);
  const double reader_mbs = epoch.bytes() / reader_t / 1e6, raw_mbs = file_bytes / raw_t / 1e6;
  const double ratio = reader_mbs / raw_mbs;
  if (rank == 0) {
    std::printf("  %-5s %-12s %9.4f %12.1f %11.0f %9.4f %10.1f %10.1f%%\n", cold ? "cold" : "warm", method.c_str(),
                reader_t, reader_mbs, epoch.samples / reader_t, raw_t, raw_mbs, 100 * ratio);
    std::fflush(stdout);
  }
  return {{"cache", cold ? "cold" : "warm"},
          {"evicted_by", method},
          {"reader_s", reader_t},
          {"reader_s_min", Min(reader_s)},
          {"reader_mb_s", reader_mbs},
          {"reader_samples_s", epoch.samples / reader_t},
          {"reader_bytes_read_all_ranks", bytes_read},
          {"raw_s", raw_t},
          {"raw_s_min", Min(raw_s)},
          {"raw_mb_s", raw_mbs},
          {"ratio", ratio},
          {"target_met", ratio >= kTargetRatio}};
}

// Rank 0 only: the stage breakdown, printed and as JSON.
nlohmann::json MeasureStages(const Options& o, const ReaderOptions& ro, double warm_reader_s) {
  std::printf("#\n# where one rank's epoch goes (warm cache, each stage alone, median of %d)\n", o.repeats);
  nlohmann::json stages = nlohmann::json::array();
  double total = 0;
  for (const Stage& s : TimeReaderStages(o.data, ro, o.repeats)) {
    std::printf("#   %-36s %8.2f ms\n", s.name.c_str(), 1e3 * s.seconds);
    stages.push_back({{"stage", s.name}, {"seconds", s.seconds}, {"in_reader", s.in_reader}});
    if (s.in_reader) total += s.seconds;
  }
  std::printf("#   %-36s %8.2f ms", "sum of the reader's stages", 1e3 * total);
  if (warm_reader_s > 0) std::printf(" (the reader's warm epoch above: %.2f ms)", 1e3 * warm_reader_s);
  std::printf("\n");
  return stages;
}

int Main(const Options& o, const MpiSession& mpi, const std::string& command) {
  const int rank = mpi.rank(), ranks = mpi.size();
  const std::string load_at_start = LoadAverage();
  ReaderOptions ro;
  ro.split = o.split;
  ro.global_batch = o.batch;
  const uint64_t file_bytes = FileSize(o.data);

  // Correctness first.
  const int64_t wrong = CheckReaderEpoch(o.data, ro, rank, ranks);
  const EpochSize epoch = SizeOfEpoch(o, ro);
  if (rank == 0) {
    std::printf("# ShardedReader vs raw read: %s (%.1f MB), split %s (%lld rows, %lld B/sample), global batch %lld, "
                "%d ranks\n# correctness: one epoch, %lld samples delivered, #wrong %lld\n",
                o.data.c_str(), file_bytes / 1e6, o.split.c_str(), static_cast<long long>(epoch.split_rows),
                static_cast<long long>(epoch.sample_bytes), static_cast<long long>(o.batch), ranks,
                static_cast<long long>(epoch.samples), static_cast<long long>(wrong));
  }
  if (wrong != 0) {
    if (rank == 0) std::fprintf(stderr, "the reader delivered %lld wrong samples; not timing it\n", static_cast<long long>(wrong));
    return 1;
  }
  if (rank == 0) {
    std::printf("# MB = 1e6 B; times: median of %d runs, slowest rank\n#\n# %-5s %-12s %9s %12s %11s %9s %10s %11s\n",
                o.repeats, "cache", "evicted by", "reader s", "reader MB/s", "samples/s", "raw s", "raw MB/s",
                "reader/raw");
  }
  nlohmann::json results = nlohmann::json::array();
  bool target_met = true;
  double warm_reader_s = 0;
  for (const std::string& cache : o.caches) {
    results.push_back(MeasureCacheState(o, ro, epoch, cache == "cold", file_bytes, rank, ranks));
    target_met = target_met && results.back()["target_met"].get<bool>();
    if (cache == "warm") warm_reader_s = results.back()["reader_s"].get<double>();
  }
  if (rank == 0) std::printf("#\n# reader/raw target >= %.0f%%: %s\n", 100 * kTargetRatio, target_met ? "met" : "NOT met");
  // One rank only: other ranks would spin in MPI while rank 0 times the stages.
  if (o.stages && ranks > 1 && rank == 0) std::printf("#\n# --stages: skipped; run it with one rank\n");
  const nlohmann::json stages = o.stages && ranks == 1 ? MeasureStages(o, ro, warm_reader_s) : nlohmann::json::array();

  if (rank == 0 && !o.json.empty()) {
    nlohmann::json out = {{"benchmark", "reader_io"},
                          {"command", command},
                          {"machine", MachineJson()},
                          {"load_average", {{"start", load_at_start}, {"end", LoadAverage()}}},
                          {"versions", {{"mpi", MpiLibraryVersion()}, {"aif", AifVersion()}, {"git_commit", GitCommit()}}},
                          {"ranks", ranks},
                          {"data", {{"path", o.data}, {"file_bytes", file_bytes}, {"split", o.split},
                                    {"split_rows", epoch.split_rows}, {"sample_bytes", epoch.sample_bytes},
                                    {"samples_per_epoch", epoch.samples}, {"epoch_bytes", epoch.bytes()}}},
                          {"options", {{"global_batch", o.batch}, {"repeats", o.repeats}, {"block_mib", o.block_mib},
                                       {"shuffle", ro.shuffle}, {"normalization", NormalizationName(ro.normalization)},
                                       {"memory_bytes", ro.memory_bytes}}},
                          {"definitions", {{"reader_mb_s", "samples delivered * stored bytes per sample / slowest rank's epoch time (open included) / 1e6"},
                                           {"raw_mb_s", "file bytes / slowest rank's time to read() its contiguous 1/N of the file / 1e6"},
                                           {"ratio", "reader_mb_s / raw_mb_s"}}},
                          {"wrong", wrong},
                          {"results", results},
                          {"target_ratio", kTargetRatio},
                          {"target_met", target_met}};
    if (!stages.empty()) out["stages"] = stages;
    std::ofstream(o.json) << out.dump(2) << "\n";
  }
  return o.require_target && !target_met ? 1 : 0;
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
    if (a == "--data") o.data = v, ++i;
    else if (a == "--split") o.split = v, ++i;
    else if (a == "--batch") o.batch = std::atoll(v.c_str()), ++i;
    else if (a == "--repeats") o.repeats = std::atoi(v.c_str()), ++i;
    else if (a == "--block-mib") o.block_mib = std::atoll(v.c_str()), ++i;
    else if (a == "--cache") o.caches = aif::Split(v, ','), ++i;
    else if (a == "--stages") o.stages = true;
    else if (a == "--json") o.json = v, ++i;
    else if (a == "--require-target") o.require_target = true;
    else error = "unknown option '" + a + "'";
  }
  if (error.empty() && o.data.empty()) error = "--data FILE is required (an aif dataset: aif prepare ... --out FILE)";
  if (error.empty() && !aif::PathExists(o.data)) error = "no such file: " + o.data;
  if (error.empty() && (o.batch < 1 || o.repeats < 1 || o.block_mib < 1)) error = "--batch, --repeats and --block-mib must be positive";
  for (const std::string& c : o.caches) {
    if (error.empty() && c != "cold" && c != "warm") error = "--cache takes cold, warm or cold,warm; got '" + c + "'";
  }
  return aif::bench::RunOrUsage(mpi, "aif_reader_io_bench", error,
                                "--data FILE [--split train] [--batch 256] [--repeats 9] [--block-mib 4] "
                                "[--cache cold,warm] [--stages] [--json FILE] [--require-target]",
                                [&] { return aif::bench::Main(o, mpi, command); });
}
