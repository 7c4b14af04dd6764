// Checkpoint write and read bandwidth against a plain sequential write and
// read of the same number of bytes on the same file system, in one run.
//
// The peer is `dd bs=4M conv=fsync` (write) and `dd of=/dev/null` (read):
// what the disk gives a single stream. aif's write adds HDF5, the content
// SHA-256 and the atomic commit (fsync of file and directory, rename); its
// read adds the checksum verification. Correctness first: every checkpoint
// is read back and compared before anything is timed. Medians of --repeats.
//
//   build/benchmarks/checkpoint_io_bench [--dir DIR] [--mib 64,256,1024] [--repeats 3] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"                 // Since, Median
#include "checkpoint/checkpoint_file.h"  // the format and its commit protocol
#include "core/fs.h"                     // file sizes, removal
#include "core/strings.h"                // Format, Split

namespace aif {
namespace {

using bench::Clock;
using bench::Median;
using bench::Since;

// Runs a shell command and returns its wall time, or -1 if it failed.
double TimeCommand(const std::string& cmd) {
  auto t0 = Clock::now();
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return rc == 0 ? Since(t0) : -1;
}

// Drops the page cache when allowed (root on bare metal); reads are "warm" otherwise.
bool DropCaches() {
  std::system("sync");
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3\n";
  return static_cast<bool>(f.flush());
}

int Main(const std::string& dir, const std::vector<int64_t>& sizes_mib, int repeats, const std::string& json_path) {
  MakeDirectories(dir);
  const bool cold = DropCaches();
  nlohmann::json results = nlohmann::json::array();
  std::printf("checkpoint I/O in %s (%s reads)\n\n", dir.c_str(), cold ? "cold-cache" : "warm-cache");
  std::printf("%8s %14s %14s %8s %14s %14s %8s\n", "MiB", "aif write", "dd write", "ratio", "aif read", "dd read",
              "ratio");
  for (int64_t mib : sizes_mib) {
    const int64_t n = mib * 1024 * 1024 / 4;
    Checkpoint c;
    c.step = 1;
    Tensor params = Tensor::Empty({n});
    for (int64_t i = 0; i < n; ++i) params.data<float>()[i] = static_cast<float>(i % 4093) * 0.25f;
    c.tensors.emplace_back("params", params);
    c.meta = {{"bench", true}};
    const std::string path = dir + "/bench-ckpt.h5", raw = dir + "/bench-raw.bin";
    // Correctness first.
    WriteCheckpointFile(path, c);
    Checkpoint back = ReadCheckpointFile(path);
    if (back.tensors.size() != 1 || std::memcmp(back.tensors[0].second.raw(), params.raw(), params.nbytes()) != 0) {
      std::fprintf(stderr, "checkpoint read back differs; stopping\n");
      return 1;
    }
    std::vector<double> aw, ar, dw, dr;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = Clock::now();
      WriteCheckpointFile(path, c);
      aw.push_back(Since(t0));
      dw.push_back(TimeCommand(Format("dd if=/dev/zero of=%s bs=4M count=%lld conv=fsync", raw.c_str(),
                                      static_cast<long long>(mib / 4 > 0 ? mib / 4 : 1))));
      DropCaches();
      t0 = Clock::now();
      ReadCheckpointFile(path);
      ar.push_back(Since(t0));
      DropCaches();
      dr.push_back(TimeCommand(Format("dd if=%s of=/dev/null bs=4M", raw.c_str())));
    }
    const double bytes = static_cast<double>(FileSize(path)), raw_bytes = static_cast<double>(FileSize(raw));
    const double aw_bw = bytes / Median(aw) / 1048576, dw_bw = raw_bytes / Median(dw) / 1048576;
    const double ar_bw = bytes / Median(ar) / 1048576, dr_bw = raw_bytes / Median(dr) / 1048576;
    std::printf("%8lld %10.0f MiB/s %10.0f MiB/s %7.0f%% %10.0f MiB/s %10.0f MiB/s %7.0f%%\n",
                static_cast<long long>(mib), aw_bw, dw_bw, 100 * aw_bw / dw_bw, ar_bw, dr_bw, 100 * ar_bw / dr_bw);
    results.push_back({{"mib", mib},
                       {"aif_write_mib_s", aw_bw},
                       {"dd_write_mib_s", dw_bw},
                       {"aif_read_mib_s", ar_bw},
                       {"dd_read_mib_s", dr_bw},
                       {"cold_cache", cold}});
    RemoveFileIfExists(path);
    RemoveFileIfExists(raw);
  }
  if (!json_path.empty()) {
    nlohmann::json out = {{"dir", dir}, {"repeats", repeats}, {"results", results}};
    std::ofstream(json_path) << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace aif

int main(int argc, char** argv) {
  std::string dir = "/tmp/aif-checkpoint-bench", json;
  std::vector<int64_t> sizes = {64, 256, 1024};
  int repeats = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--dir") dir = v, ++i;
    else if (a == "--json") json = v, ++i;
    else if (a == "--repeats") repeats = std::atoi(v.c_str()), ++i;
    else if (a == "--mib") {
      sizes.clear();
      for (const auto& s : aif::Split(v, ',')) sizes.push_back(std::atoll(s.c_str()));
      ++i;
    } else {
      std::fprintf(stderr, "usage: checkpoint_io_bench [--dir DIR] [--mib 64,256,1024] [--repeats 3] [--json FILE]\n");
      return 2;
    }
  }
  return aif::Main(dir, sizes, repeats < 1 ? 1 : repeats, json);
}
