#include "data/epoch_order.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace aif {

EpochOrder::EpochOrder(const OrderSpec& spec, int64_t epoch) : spec_(spec), epoch_(epoch) {
  AIF_CHECK(spec.rows > 0 && spec.chunk_rows > 0 && spec.window_chunks > 0, "bad order spec");
  AIF_CHECK(spec.window_chunks * spec.chunk_rows < (int64_t{1} << 32), "window too large");
  num_chunks_ = (spec.rows + spec.chunk_rows - 1) / spec.chunk_rows;
  chunk_perm_.resize(num_chunks_);
  std::iota(chunk_perm_.begin(), chunk_perm_.end(), 0);
  if (spec.shuffle) {
    for (int64_t i = num_chunks_ - 1; i > 0; --i) {
      int64_t j = static_cast<int64_t>(RandomBelow(i + 1, spec.seed, RngPurpose::kChunkOrder, epoch, i));
      std::swap(chunk_perm_[i], chunk_perm_[j]);
    }
  }
  const int64_t num_windows = (num_chunks_ + spec.window_chunks - 1) / spec.window_chunks;
  window_start_.assign(num_windows + 1, 0);
  for (int64_t w = 0; w < num_windows; ++w) {
    int64_t rows = 0;
    for (int64_t k = w * spec.window_chunks; k < std::min(num_chunks_, (w + 1) * spec.window_chunks); ++k) {
      int64_t c = chunk_perm_[k];
      rows += std::min(spec.chunk_rows, spec.rows - c * spec.chunk_rows);
    }
    window_start_[w + 1] = window_start_[w] + rows;
  }
}

int64_t EpochOrder::MemoryBytes(const OrderSpec& spec) {
  int64_t chunks = (spec.rows + spec.chunk_rows - 1) / spec.chunk_rows;
  int64_t window = std::min(spec.rows, spec.window_chunks * spec.chunk_rows);
  return static_cast<int64_t>(sizeof(int64_t)) * (2 * chunks + 2 * window);
}

const std::vector<int64_t>& EpochOrder::Window(int64_t w) {
  for (int s = 0; s < 2; ++s) {
    if (cached_id_[s] == w) return cached_[s];
  }
  int slot = next_slot_;
  next_slot_ ^= 1;
  std::vector<int64_t>& order = cached_[slot];
  order.clear();
  for (int64_t k = w * spec_.window_chunks; k < std::min(num_chunks_, (w + 1) * spec_.window_chunks); ++k) {
    int64_t first = chunk_perm_[k] * spec_.chunk_rows;
    int64_t last = std::min(spec_.rows, first + spec_.chunk_rows);
    for (int64_t r = first; r < last; ++r) order.push_back(r);
  }
  if (spec_.shuffle) {
    const uint64_t base = static_cast<uint64_t>(w) << 32;
    for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
      int64_t j = static_cast<int64_t>(RandomBelow(i + 1, spec_.seed, RngPurpose::kWindowShuffle, epoch_, base | i));
      std::swap(order[i], order[j]);
    }
  }
  cached_id_[slot] = w;
  return order;
}

void EpochOrder::Positions(int64_t begin, int64_t end, std::vector<int64_t>* out) {
  AIF_CHECK(0 <= begin && begin <= end && end <= spec_.rows, "positions out of range");
  int64_t p = begin;
  while (p < end) {
    // The window holding position p.
    int64_t w = static_cast<int64_t>(std::upper_bound(window_start_.begin(), window_start_.end(), p) -
                                     window_start_.begin()) - 1;
    const std::vector<int64_t>& order = Window(w);
    int64_t stop = std::min(end, window_start_[w + 1]);
    for (; p < stop; ++p) out->push_back(order[p - window_start_[w]]);
  }
}

}  // namespace aif
