// See reader_check.h. Each rank reads the whole split once with
// DatasetFile::ReadRows as the reference; seen-counts are summed over ranks.
#include "io/reader_check.h"

#include <mpi.h>

#include <vector>

#include "data/dataset_file.h"

namespace aif {
namespace bench {

int64_t CheckReaderEpoch(const std::string& path, const ReaderOptions& options, int rank, int ranks) {
  ShardedReader reader(path, options, rank, ranks);
  const DatasetFile& file = reader.dataset();
  const int64_t n = reader.split().rows, f = file.schema().num_features();
  const size_t elem = FeatureTypeSize(file.schema().feature_type);
  std::vector<uint8_t> features(static_cast<size_t>(n * f) * elem), labels(static_cast<size_t>(n) * 4);
  file.ReadRows(options.split, 0, n, features.data(), labels.data());
  const std::vector<float>& offset = reader.normalization_offset();
  const std::vector<float>& scale = reader.normalization_scale();
  const bool u8 = file.schema().feature_type == FeatureType::kUint8;
  const bool classification = file.schema().task == Task::kClassification;

  std::vector<int32_t> seen(static_cast<size_t>(n), 0);
  int64_t wrong = 0, delivered = 0;
  for (int64_t step = 0, steps = reader.batches_per_epoch(); step < steps; ++step) {
    Batch b = reader.Next();
    for (int64_t i = 0; i < b.rows; ++i) {
      if (!b.valid[i]) continue;
      const int64_t id = b.sample_ids[i];
      if (id < 0 || id >= n) {
        ++wrong;
        continue;
      }
      ++seen[id];
      ++delivered;
      const int32_t want_label = reinterpret_cast<const int32_t*>(labels.data())[id];
      const float want_target = reinterpret_cast<const float*>(labels.data())[id];
      if (classification ? b.class_labels[i] != want_label : b.targets[i] != want_target) ++wrong;
      const float* got = &b.features[i * f];
      bool row_ok = true;
      for (int64_t k = 0; k < f && row_ok; ++k) {
        const float x = u8 ? static_cast<float>(features[id * f + k])
                           : reinterpret_cast<const float*>(features.data())[id * f + k];
        row_ok = got[k] == (x - offset[k]) * scale[k];
      }
      wrong += !row_ok;
    }
  }
  // Over all ranks: no sample twice, and as many as the epoch promises.
  MPI_Allreduce(MPI_IN_PLACE, seen.data(), static_cast<int>(n), MPI_INT32_T, MPI_SUM, MPI_COMM_WORLD);
  int64_t totals[2] = {wrong, delivered};
  MPI_Allreduce(MPI_IN_PLACE, totals, 2, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  int64_t duplicates = 0;
  for (int32_t s : seen) duplicates += s > 1 ? s - 1 : 0;
  const int64_t expected = options.remainder == Remainder::kDrop
                               ? reader.batches_per_epoch() * options.global_batch : n;
  const int64_t missing = expected > totals[1] - duplicates ? expected - (totals[1] - duplicates) : 0;
  return totals[0] + duplicates + missing;
}

}  // namespace bench
}  // namespace aif
