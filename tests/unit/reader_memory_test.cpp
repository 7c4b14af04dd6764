// A dataset several times larger than the reader's memory bound streams
// through with bounded peak memory. The dataset (192 MiB) is written in
// pieces; the peak RSS (VmHWM) is reset before reading an epoch and must stay
// within the bound plus a fixed allowance for the libraries' own buffers.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/strings.h"
#include "data/dataset_writer.h"
#include "data/feature_stats.h"
#include "data/sharded_reader.h"
#include "support/test_util.h"

namespace aif {
namespace {

int64_t StatusKiB(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return -1;
}

TEST(ReaderMemory, StreamsADatasetLargerThanItsBound) {
  testing::TempDir dir;
  const std::string path = dir.File("big.h5");
  const int64_t F = 4096, rows = 49152, piece = 512;  // 192 MiB of uint8 features
  DatasetSchema schema;
  schema.feature_type = FeatureType::kUint8;
  schema.sample_shape = {F};
  for (int64_t f = 0; f < F; ++f) schema.feature_names.push_back(Format("f%lld", static_cast<long long>(f)));
  schema.class_names = {"a", "b"};
  {
    DatasetWriter w(path, schema);
    FeatureStatsBuilder stats(F, Task::kClassification, 2);
    std::vector<uint8_t> x(piece * F);
    std::vector<int32_t> y(piece);
    for (int64_t i = 0; i < piece; ++i) {
      for (int64_t f = 0; f < F; ++f) x[i * F + f] = static_cast<uint8_t>((i + f) % 256);
      y[i] = static_cast<int32_t>(i % 2);
    }
    stats.AddMoments(x.data(), y.data(), piece);
    stats.FinishMoments();
    stats.AddHistogram(x.data(), piece);
    w.BeginSplit("train", rows, 64);
    for (int64_t at = 0; at < rows; at += piece) w.Append(x.data(), y.data(), piece);
    w.EndSplit();
    w.SetStats(stats.Finish());
    w.SetLineage({{"source", "synthetic"}});
    w.Commit();
  }
  ReaderOptions o;
  o.global_batch = 64;
  o.memory_bytes = int64_t{16} << 20;
  o.window_chunks = 64;  // a window (16 MiB) alone exceeds the bound
  ShardedReader reader(path, o, 0, 1);
  ASSERT_GE(reader.cache_chunks(), 1);

  std::ofstream("/proc/self/clear_refs") << "5";  // reset VmHWM to the current RSS
  const int64_t before = StatusKiB("VmRSS");
  int64_t delivered = 0;
  for (int64_t s = 0; s < reader.batches_per_epoch(); ++s) delivered += reader.Next().global_valid;
  const int64_t peak = StatusKiB("VmHWM");
  EXPECT_EQ(delivered, rows);
  const int64_t growth_mib = (peak - before) / 1024;
  const int64_t allowance_mib = 16;  // allocator slack, HDF5 and zlib buffers
  std::printf("dataset 192 MiB, bound 16 MiB: peak RSS grew by %lld MiB (cache %lld chunks, depth %lld)\n",
              static_cast<long long>(growth_mib), static_cast<long long>(reader.cache_chunks()),
              static_cast<long long>(reader.prefetch_depth()));
  EXPECT_LE(growth_mib, 16 + allowance_mib);
  ReaderStats st = reader.stats();
  EXPECT_GE(st.bytes_read, rows * F);
}

}  // namespace
}  // namespace aif
