// See reader_stages.h. The stages mirror sharded_reader.cpp's producer
// (GetChunk, Build) through the public data API; if the reader changes, this
// breakdown must follow it.
#include "io/reader_stages.h"

#include <algorithm>
#include <cstdint>
#include <functional>

#include "bench_util.h"  // Clock, Since, Median
#include "data/chunk_arena.h"
#include "data/dataset_file.h"
#include "data/epoch_order.h"
#include "data/normalize_row.h"

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
  std::unique_ptr<ChunkArena> fresh;  // the chunk-slot stage's mapping, unmapped untimed
  const size_t slot_bytes = (static_cast<size_t>(cr * f) * elem + 63) / 64 * 64 + static_cast<size_t>(cr) * 4;
  const int64_t row_bytes = f * static_cast<int64_t>(elem);
  // As the reader's Build: the next row's bytes prefetched, the row normalised.
  auto convert_row = [&](int64_t id, int64_t next_id, float* dst) {
    const int64_t c = id / cr, row = id - c * cr, next = next_id - c * cr;
    if (next >= 0 && next < chunk_rows(c)) {
      const uint8_t* p = chunk_features[c].data() + next * row_bytes;
      for (int64_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
    }
    if (u8) {
      NormalizeRow(chunk_features[c].data() + row * f, offset.data(), scale.data(), f, dst);
    } else {
      NormalizeRow(reinterpret_cast<const float*>(chunk_features[c].data()) + row * f, offset.data(), scale.data(),
                   f, dst);
    }
  };

  const std::vector<StageFn> stages = {
      {"open", true, [&] { DatasetFile::Open(path); }, nullptr},
      {"chunk_slots_first_touch", true,  // the page faults of a new reader's chunk cache
       [&] {
         fresh.reset(new ChunkArena(num_chunks, slot_bytes));
         for (int64_t c = 0; c < num_chunks; ++c) {
           uint8_t* slot = fresh->data(fresh->Acquire());
           for (size_t off = 0; off < slot_bytes; off += 4096) slot[off] = 1;
         }
       },
       [&] { fresh.reset(); }},
      {"hdf5_read_chunks", true,
       [&] {
         for (int64_t c = 0; c < num_chunks; ++c) {
           file->ReadRows(split.name, c * cr, chunk_rows(c), chunk_features[c].data(), chunk_labels[c].data());
         }
       },
       nullptr},
      {"chunk_checksums (CRC-32C of every chunk; 0 for a file without them)", true,
       [&] {
         for (int64_t c = 0; c < num_chunks; ++c) {
           file->VerifyChunk(split, c, chunk_features[c].data(), chunk_labels[c].data());
         }
       },
       nullptr},
      {"epoch_order_and_sort (twice: read-ahead, batch)", true,
       [&] {
         EpochOrder order(spec, 1);
         std::vector<int64_t> ids;
         for (int pass = 0; pass < 2; ++pass) {
           for (int64_t t = 0; t < batches; ++t) {
             ids.clear();
             order.Positions(t * B, std::min((t + 1) * B, n), &ids);
             std::sort(ids.begin(), ids.end());
           }
         }
       },
       nullptr},
      {"normalize_epoch_order", true,
       [&] {
         for (int64_t t = 0; t < batches; ++t) {
           const std::vector<int64_t>& ids = batch_ids[t];
           for (int64_t i = 0; i < B; ++i) convert_row(ids[i], i + 1 < B ? ids[i + 1] : -1, &out[i * f]);
         }
       },
       nullptr},
      {"normalize_file_order (reference)", false,
       [&] {
         for (int64_t t = 0; t < batches; ++t) {
           for (int64_t i = 0; i < B; ++i) convert_row(t * B + i, t * B + i + 1, &out[i * f]);
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
