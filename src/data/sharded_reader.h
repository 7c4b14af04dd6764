// The sharded reader: delivers one split of a dataset to P ranks in global
// batches, with a background thread that prefetches within a memory bound.
//
// Order. Epoch e's global order is EpochOrder(seed, e): independent of P.
// Global batch t of an epoch is the set of samples at positions
// [p, p + B) of that order (p = t * B when read from the start). Within a
// global batch the samples are sorted by index and rank r takes the r-th
// contiguous share (B / P rows, the first B % P ranks one more): each rank
// then touches about 1/P of the window's chunks, and the union over ranks is
// the same set whatever P is. Gradients summed over a global batch are
// therefore the same for every P, up to summation order.
//
// Remainder. `drop` skips the last N % B samples of an epoch (batches per
// epoch = N / B); `pad` fills the last batch up to B with samples from the
// start of the same epoch's order, marked valid = 0 so losses and metrics
// ignore them (batches per epoch = ceil(N / B)). Either way every batch has
// B rows, so a rank's batch shape never changes.
//
// Cursor. (epoch, position) names the next global batch; it does not depend
// on P, so a run can resume mid-epoch on another number of ranks.
//
// Normalisation happens here, not in the model: features arrive as float32,
// `scale` maps uint8 to [0, 1] (x / 255) and float features to [0, 1] by the
// train split's min and max, `standardize` uses the stored mean and std,
// `none` only converts. `auto` is scale for uint8, standardize for float32.
//
// Memory. Prefetched batches plus the chunk cache stay within
// `memory_bytes`, whatever the dataset size: the reader only ever holds whole
// chunks it reads with one contiguous HDF5 read each, into recycled slots of
// one mapping (data/chunk_arena.h). Read-ahead asks the kernel for the
// chunks of the current shuffle window and the next before they are needed
// (posix_fadvise), so disk reads overlap the conversion. Each chunk read is
// checked against the file's chunk checksums (DatasetFile::VerifyChunk).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset_file.h"

namespace aif {

enum class Remainder { kDrop, kPad };
enum class Normalization { kAuto, kNone, kScale, kStandardize };

Remainder ParseRemainder(const std::string& name);          // throws kUsage
Normalization ParseNormalization(const std::string& name);  // throws kUsage
const char* NormalizationName(Normalization n);

struct ReaderOptions {
  std::string split = "train";
  int64_t global_batch = 64;
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t window_chunks = 16;
  Remainder remainder = Remainder::kDrop;
  Normalization normalization = Normalization::kAuto;
  int64_t memory_bytes = int64_t{256} << 20;
  int64_t prefetch_batches = 4;
  // Explicit normalisation constants (a model's, when scoring data other
  // than what it was trained on): feature f becomes (x - offset[f]) *
  // scale[f]. Empty: derived from `normalization` and this dataset.
  std::vector<float> norm_offset, norm_scale;
};

// Options that read `split` exactly once per epoch for evaluation or
// scoring: unshuffled, remainder padded (padding rows have valid = 0).
ReaderOptions HeldOutReaderOptions(ReaderOptions base, const std::string& split, int64_t global_batch);

struct ReaderCursor {
  int64_t epoch = 0;
  int64_t position = 0;  // index in the epoch's global order of the next batch's first sample
  nlohmann::json ToJson() const { return {{"epoch", epoch}, {"position", position}}; }
  static ReaderCursor FromJson(const nlohmann::json& j);  // throws kData
  bool operator==(const ReaderCursor& o) const { return epoch == o.epoch && position == o.position; }
};

struct Batch {
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;
  int64_t rows = 0;          // this rank's rows
  int64_t num_features = 0;
  int64_t global_rows = 0;   // B
  int64_t global_valid = 0;  // non-padding rows in the global batch
  std::vector<float> features;        // [rows, num_features], normalised
  std::vector<int32_t> class_labels;  // classification
  std::vector<float> targets;         // regression
  std::vector<int64_t> sample_ids;    // index of each row in the split
  std::vector<uint8_t> valid;         // 0 for padding rows
  ReaderCursor next;                  // cursor after this batch
};

struct ReaderStats {
  int64_t chunks_read = 0;
  int64_t chunk_cache_hits = 0;
  int64_t bytes_read = 0;
  double wait_seconds = 0;  // time Next() spent waiting for the prefetcher
};

class ShardedReader {
 public:
  // Opens the dataset; throws kUsage for impossible options (B < P, a bound
  // too small for one batch and one chunk, B > N with drop), kData/kIo for
  // the file.
  ShardedReader(const std::string& path, const ReaderOptions& options, int rank, int world_size);
  ~ShardedReader();
  // The constructor's checks of the options alone, without reading: lets a
  // job refuse impossible options on every rank alike before it starts.
  static void CheckOptions(const DatasetFile& file, const ReaderOptions& options, int rank, int world_size);
  ShardedReader(const ShardedReader&) = delete;
  ShardedReader& operator=(const ShardedReader&) = delete;

  // The next batch of this rank; blocks until the prefetcher has it. Errors
  // from the prefetch thread are rethrown here.
  Batch Next();
  // Optional: gives a used batch's buffers back, so the next batches are
  // built in them instead of in fresh, zero-filled allocations.
  void Recycle(Batch&& batch);
  // Continue from `cursor` (from Batch::next or a checkpoint).
  void Seek(const ReaderCursor& cursor);
  // Where Next() continues.
  ReaderCursor cursor() const;

  int64_t batches_per_epoch() const;
  int64_t local_batch_rows() const;
  const DatasetFile& dataset() const;
  const SplitInfo& split() const;
  Normalization normalization() const;  // resolved (never kAuto)
  // The constants: feature f is delivered as (x - offset[f]) * scale[f].
  const std::vector<float>& normalization_offset() const;
  const std::vector<float>& normalization_scale() const;
  ReaderStats stats() const;
  int64_t prefetch_depth() const;
  int64_t cache_chunks() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aif
