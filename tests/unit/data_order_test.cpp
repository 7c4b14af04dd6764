// The epoch order: a permutation, a pure function of (seed, epoch), local to
// windows of chunks, different per epoch.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "data/epoch_order.h"

namespace aif {
namespace {

std::vector<int64_t> WholeOrder(const OrderSpec& spec, int64_t epoch, int64_t step) {
  EpochOrder order(spec, epoch);
  std::vector<int64_t> out;
  for (int64_t p = 0; p < spec.rows; p += step) order.Positions(p, std::min(spec.rows, p + step), &out);
  return out;
}

TEST(EpochOrder, IsAPermutationForAwkwardSizes) {
  for (int64_t rows : {1, 2, 7, 100, 1001}) {
    for (int64_t chunk : {1, 3, 64, 5000}) {
      for (int64_t window : {1, 2, 5}) {
        OrderSpec spec{rows, std::min(chunk, rows), 42, true, window};
        std::vector<int64_t> o = WholeOrder(spec, 3, 17);
        ASSERT_EQ(static_cast<int64_t>(o.size()), rows);
        std::sort(o.begin(), o.end());
        std::vector<int64_t> want(rows);
        std::iota(want.begin(), want.end(), 0);
        ASSERT_EQ(o, want) << rows << " rows, chunk " << chunk << ", window " << window;
      }
    }
  }
}

TEST(EpochOrder, DeterministicAndIndependentOfHowItIsRead) {
  OrderSpec spec{1000, 37, 7, true, 4};
  EXPECT_EQ(WholeOrder(spec, 0, 1), WholeOrder(spec, 0, 333));
  EXPECT_NE(WholeOrder(spec, 0, 50), WholeOrder(spec, 1, 50));
  OrderSpec other = spec;
  other.seed = 8;
  EXPECT_NE(WholeOrder(spec, 0, 50), WholeOrder(other, 0, 50));
  // Reading windows out of order (as after a seek) gives the same samples.
  EpochOrder order(spec, 5);
  std::vector<int64_t> late, early, again;
  order.Positions(900, 950, &late);
  order.Positions(0, 50, &early);
  order.Positions(900, 950, &again);
  EXPECT_EQ(late, again);
  EXPECT_EQ(WholeOrder(spec, 5, 50).at(900), late[0]);
}

TEST(EpochOrder, WindowsDrawFromFewChunks) {
  OrderSpec spec{1000, 10, 1, true, 4};  // windows of 4 chunks = 40 samples
  std::vector<int64_t> o = WholeOrder(spec, 0, 1000);
  for (int64_t w = 0; w < 25; ++w) {
    std::set<int64_t> chunks;
    for (int64_t p = w * 40; p < (w + 1) * 40; ++p) chunks.insert(o[p] / 10);
    EXPECT_EQ(chunks.size(), 4u);
  }
  // And the order is really shuffled, not the identity.
  int64_t in_place = 0;
  for (int64_t p = 0; p < 1000; ++p) in_place += o[p] == p;
  EXPECT_LT(in_place, 50);
}

TEST(EpochOrder, NoShuffleIsTheIdentity) {
  OrderSpec spec{50, 7, 1, false, 2};
  std::vector<int64_t> o = WholeOrder(spec, 9, 50);
  for (int64_t p = 0; p < 50; ++p) EXPECT_EQ(o[p], p);
}

}  // namespace
}  // namespace aif
