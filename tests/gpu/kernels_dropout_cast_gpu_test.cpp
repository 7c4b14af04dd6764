// Dropout and the bf16 casts on the GPU against the CPU reference. Both are
// designed to give the CPU's bits: the dropout mask is the same Philox draw
// per element and the kept values the same float product, so masks, outputs
// and gradients must be byte-identical; the casts are dtype.h's integer
// rounding, checked on every bf16 value and on random and special floats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::EmptyOnGpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;


// Global sample ids: spread out, large (past 2^32 after * cols), unordered.
Tensor SampleIds(int64_t rows, uint64_t seed) {
  Tensor ids = Tensor::Empty({rows}, DType::kI64);
  for (int64_t r = 0; r < rows; ++r) {
    ids.data<int64_t>()[r] = static_cast<int64_t>(RandomBelow(int64_t{1} << 40, seed, RngPurpose::kSynthetic, 2, r));
  }
  return ids;
}

using GpuDropout = GpuTest;

TEST_F(GpuDropout, MasksOutputsAndGradientsAreTheCpuBits) {
  for (const gpu_test::RowsCols& s : gpu_test::MatrixShapes()) {
    Tensor x = RandomTensor({s.rows, s.cols}, 1), dy = RandomTensor({s.rows, s.cols}, 2);
    Tensor ids = SampleIds(s.rows, 3);
    for (float p : {0.0f, 0.1f, 0.5f, 0.9f}) {
      SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "] p " << p);
      Tensor y = Tensor::Empty(x.shape()), mask = Tensor::Empty(x.shape(), DType::kU8), dx = Tensor::Empty(x.shape());
      ops::DropoutForward(x, p, 42, 7, ids, y, mask);
      ops::DropoutBackward(dy, mask, p, dx);
      Tensor gx = OnGpu(x), gy = EmptyOnGpu(x.shape(), DType::kF32), gmask = EmptyOnGpu(x.shape(), DType::kU8);
      ops::DropoutForward(gx, p, 42, 7, OnGpu(ids), gy, gmask);
      EXPECT_TRUE(SameBytes(gmask, mask));
      EXPECT_TRUE(SameBytes(gy, y));
      Tensor gdx = EmptyOnGpu(x.shape(), DType::kF32);
      ops::DropoutBackward(OnGpu(dy), gmask, p, gdx);
      EXPECT_TRUE(SameBytes(gdx, dx));
      // In place (y == x).
      ops::DropoutForward(gx, p, 42, 7, OnGpu(ids), gx, gmask);
      EXPECT_TRUE(SameBytes(gx, y));
    }
  }
}

TEST_F(GpuDropout, SeedAndStreamReachTheDevice) {
  Tensor x = RandomTensor({8, 100}, 4), ids = SampleIds(8, 5);
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
    for (uint64_t stream : {uint64_t{0}, uint64_t{3}, (uint64_t{1} << 48) - 1}) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << " stream " << stream);
      Tensor y = Tensor::Empty(x.shape()), mask = Tensor::Empty(x.shape(), DType::kU8);
      ops::DropoutForward(x, 0.5f, seed, stream, ids, y, mask);
      Tensor gy = EmptyOnGpu(x.shape(), DType::kF32), gmask = EmptyOnGpu(x.shape(), DType::kU8);
      ops::DropoutForward(OnGpu(x), 0.5f, seed, stream, OnGpu(ids), gy, gmask);
      EXPECT_TRUE(SameBytes(gmask, mask));
    }
  }
}

// The CPU throws; CUDA does not wait to check, and poisons the row instead,
// so a step's loss turns NaN (the trainer checks ids on the host first).
TEST_F(GpuDropout, NegativeSampleIdPoisonsItsRowWithNaN) {
  Tensor ids = Tensor::Empty({3}, DType::kI64);
  ids.data<int64_t>()[0] = 4, ids.data<int64_t>()[1] = -2, ids.data<int64_t>()[2] = 5;
  Tensor x = RandomTensor({3, 4}, 6);
  Tensor gy = EmptyOnGpu({3, 4}, DType::kF32), gmask = EmptyOnGpu({3, 4}, DType::kU8);
  ops::DropoutForward(OnGpu(x), 0.5f, 1, 0, OnGpu(ids), gy, gmask);
  Tensor y = gy.To(DeviceType::kCpu), mask = gmask.To(DeviceType::kCpu);
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_TRUE(std::isnan(y.data<float>()[4 + j])) << j;
    EXPECT_EQ(mask.data<uint8_t>()[4 + j], 0) << j;
  }
  // The other rows are the CPU's, and the device is still usable.
  ids.data<int64_t>()[1] = 2;
  Tensor cy = Tensor::Empty({3, 4}), cmask = Tensor::Empty({3, 4}, DType::kU8);
  ops::DropoutForward(x, 0.5f, 1, 0, ids, cy, cmask);
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_EQ(mask.data<uint8_t>()[j], cmask.data<uint8_t>()[j]) << j;
    EXPECT_EQ(mask.data<uint8_t>()[8 + j], cmask.data<uint8_t>()[8 + j]) << j;
  }
  EXPECT_NO_THROW(ops::DropoutForward(OnGpu(x), 0.5f, 1, 0, OnGpu(ids), gy, gmask));
}

using GpuCast = GpuTest;

Tensor FloatsFromBits(const std::vector<uint32_t>& bits) {
  Tensor t = Tensor::Empty({static_cast<int64_t>(bits.size())});
  std::memcpy(t.raw(), bits.data(), t.nbytes());
  return t;
}

TEST_F(GpuCast, F32ToBF16IsTheCpuRoundingForRandomAndSpecialValues) {
  std::vector<uint32_t> bits = {
      0x00000000u, 0x80000000u, 0x3F800000u, 0x3F808000u,  // zeros, 1, a tie to even (down)
      0x3F818000u, 0x3F80FFFFu, 0x3F807FFFu,               // a tie to even (up), just above/below a tie
      0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u, 0xFF800000u,  // max float (rounds to inf), infinities
      0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0x7F810000u,  // NaNs, signalling ones stay NaN
      0x00000001u, 0x00008000u, 0x00018000u, 0x807FFFFFu,  // denormals
  };
  for (uint32_t i = 0; i < 1000003; ++i) bits.push_back(RandomBits(9, RngPurpose::kSynthetic, 3, i).v[0]);
  Tensor src = FloatsFromBits(bits);
  for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{17}, int64_t{1023}, src.numel()}) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    Tensor part = src.View(0, {n});
    Tensor dst = Tensor::Empty({n}, DType::kBF16);
    ops::CastF32ToBF16(part, dst);
    Tensor gdst = EmptyOnGpu({n}, DType::kBF16);
    ops::CastF32ToBF16(OnGpu(part), gdst);
    EXPECT_TRUE(SameBytes(gdst, dst));
  }
}

TEST_F(GpuCast, BF16ToF32IsExactForEveryValue) {
  Tensor src = Tensor::Empty({65536}, DType::kBF16);
  for (int64_t i = 0; i < 65536; ++i) src.data<uint16_t>()[i] = static_cast<uint16_t>(i);
  Tensor dst = Tensor::Empty({65536});
  ops::CastBF16ToF32(src, dst);
  Tensor gdst = EmptyOnGpu({65536}, DType::kF32);
  ops::CastBF16ToF32(OnGpu(src), gdst);
  EXPECT_TRUE(SameBytes(gdst, dst));
}

}  // namespace
}  // namespace aif
