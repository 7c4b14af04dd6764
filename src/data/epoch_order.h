// The global sample order of one epoch, a pure function of
// (rows, chunk_rows, seed, epoch, window_chunks): never of the number of
// ranks. Shuffling is two-level so reads stay chunk-contiguous: a seeded
// permutation of the chunk ids, then, for each window of `window_chunks`
// consecutive chunks of that permutation, a seeded shuffle of all samples in
// the window. A window covers at most window_chunks * chunk_rows samples, so
// the order needs O(chunks + window) memory, not O(rows).
#pragma once

#include <cstdint>
#include <vector>

namespace aif {

struct OrderSpec {
  int64_t rows = 0;
  int64_t chunk_rows = 1;
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t window_chunks = 16;
};

class EpochOrder {
 public:
  EpochOrder(const OrderSpec& spec, int64_t epoch);

  int64_t size() const { return spec_.rows; }
  int64_t epoch() const { return epoch_; }
  // Appends the sample indices at global positions [begin, end).
  void Positions(int64_t begin, int64_t end, std::vector<int64_t>* out);
  // Bytes of memory the order holds at most (chunk ids plus two windows).
  static int64_t MemoryBytes(const OrderSpec& spec);

 private:
  const std::vector<int64_t>& Window(int64_t w);

  OrderSpec spec_;
  int64_t epoch_;
  int64_t num_chunks_;
  std::vector<int64_t> chunk_perm_;     // chunk ids in epoch order
  std::vector<int64_t> window_start_;   // first global position of each window (+ end)
  // The two most recently used windows' sample orders.
  int64_t cached_id_[2] = {-1, -1};
  std::vector<int64_t> cached_[2];
  int next_slot_ = 0;
};

}  // namespace aif
