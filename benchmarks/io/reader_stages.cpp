// See reader_stages.h. The stages mirror sharded_reader.cpp's producer
// (GetChunk, Build) through the public data API; if the reader changes, this
// breakdown must follow it.
#include "io/reader_stages.h"

#include <algorithm>
#include <cstdint>
#include <functional>

#include "bench_util.h"  // Clock, Since, Median
#include "data/dataset_file.h"
#include "data/epoch_order.h"

namespace aif {
namespace bench {
namespace {

struct StageFn {
  std::string name;
  bool in_reader;
  std::function<void()> run;
  std::function<void()> reset;  // untimed, before each run; may be empty
};

}  // namespace

std::vector<Stage> TimeReaderStages(const std::string& path, const ReaderOptions& options, int repeats) {
  std::vector<float> offset, scale;
  int64_t batches = 0;
  {  // constants exactly as the reader derives them; its thread stops before timing
    ShardedReader reader(path, options, 0, 1);
    offset = reader.normalization_offset();
    scale = reader.normalization_scale();
    batches = reader.batches_per_epoch();
  }
  std::unique_ptr<DatasetFile> file = DatasetFile::Open(path);
  const SplitInfo split = file->split(options.split);
  const int64_t n = split.rows, f = file->schema().num_features(), cr = split.chunk_rows, B = options.global_batch;
  const int64_t num_chunks = (n + cr - 1) / cr;
  const bool u8 = file->schema().feature_type == FeatureType::kUint8;
  const size_t elem = FeatureTypeSize(file->schema().feature_type);
  auto chunk_rows = [&](int64_t c) { return std::min(cr, n - c * cr); };
  std::vector<std::vector<uint8_t>> chunk_features(num_chunks), chunk_labels(num_chunks);
  for (int64_t c = 0; c < num_chunks; ++c) {
    chunk_features[c].resize(static_cast<size_t>(chunk_rows(c) * f) * elem);
    chunk_labels[c].resize(static_cast<size_t>(chunk_rows(c)) * 4);
  }
  const OrderSpec spec{n, cr, options.seed, options.shuffle,
                       std::min<int64_t>(options.window_chunks, (int64_t{1} << 31) / cr)};
  // The epoch's batches, each sorted by id as the reader sorts them.
  std::vector<std::vector<int64_t>> batch_ids(batches);
  {
    EpochOrder order(spec, 0);
    for (int64_t t = 0; t < batches; ++t) {
      order.Positions(t * B, std::min((t + 1) * B, n), &batch_ids[t]);
      std::sort(batch_ids[t].begin(), batch_ids[t].end());
    }
  }
  std::vector<float> out(static_cast<size_t>(B * f));
  std::vector<std::vector<uint8_t>> fresh;  // the chunk-allocation stage's buffers, freed untimed
  volatile float sink = 0;
  auto convert_row = [&](int64_t id, float* dst) {
    const int64_t c = id / cr, row = id - c * cr;
    if (u8) {
      const uint8_t* src = chunk_features[c].data() + row * f;
      for (int64_t k = 0; k < f; ++k) dst[k] = (static_cast<float>(src[k]) - offset[k]) * scale[k];
    } else {
      const float* src = reinterpret_cast<const float*>(chunk_features[c].data()) + row * f;
      for (int64_t k = 0; k < f; ++k) dst[k] = (src[k] - offset[k]) * scale[k];
    }
  };

  const std::vector<StageFn> stages = {
      {"open", true, [&] { DatasetFile::Open(path); }, nullptr},
      {"chunk_buffers_alloc_zero", true,
       [&] {
         for (int64_t c = 0; c < num_chunks; ++c) {
           fresh.emplace_back(static_cast<size_t>(chunk_rows(c) * f) * elem);
           fresh.emplace_back(static_cast<size_t>(chunk_rows(c)) * 4);
         }
       },
       [&] { fresh.clear(); }},
      {"hdf5_read_chunks", true,
       [&] {
         for (int64_t c = 0; c < num_chunks; ++c) {
           file->ReadRows(split.name, c * cr, chunk_rows(c), chunk_features[c].data(), chunk_labels[c].data());
         }
       },
       nullptr},
      {"epoch_order_and_sort", true,
       [&] {
         EpochOrder order(spec, 1);
         std::vector<int64_t> ids;
         for (int64_t t = 0; t < batches; ++t) {
           ids.clear();
           order.Positions(t * B, std::min((t + 1) * B, n), &ids);
           std::sort(ids.begin(), ids.end());
         }
       },
       nullptr},
      {"batch_alloc_zero", true,
       [&] {
         for (int64_t t = 0; t < batches; ++t) {
           Batch b;
           b.features.resize(static_cast<size_t>(B * f));
           b.sample_ids.resize(B);
           b.valid.resize(B);
           b.class_labels.resize(B);
           sink = sink + b.features[static_cast<size_t>(t) % b.features.size()];  // keeps the allocation
         }
       },
       nullptr},
      {"normalize_epoch_order", true,
       [&] {
         for (int64_t t = 0; t < batches; ++t) {
           for (int64_t i = 0; i < B; ++i) convert_row(batch_ids[t][i], &out[i * f]);
         }
       },
       nullptr},
      {"normalize_file_order (reference)", false,
       [&] {
         for (int64_t t = 0; t < batches; ++t) {
           for (int64_t i = 0; i < B; ++i) convert_row(t * B + i, &out[i * f]);
         }
       },
       nullptr},
  };
  std::vector<Stage> result;
  for (const StageFn& s : stages) {
    if (s.reset) s.reset();
    s.run();  // warm-up (and, for the read, the chunks the later stages use)
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
      if (s.reset) s.reset();
      auto t0 = Clock::now();
      s.run();
      times.push_back(Since(t0));
    }
    result.push_back({s.name, Median(times), s.in_reader});
  }
  return result;
}

}  // namespace bench
}  // namespace aif
