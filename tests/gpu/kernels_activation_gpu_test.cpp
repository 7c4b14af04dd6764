// Bias + activation on the GPU against the CPU reference, on odd and large
// shapes, with and without bias and pre, in place, and with dbias summed in
// one row slab or several (tall inputs) and from scratch or accumulated.
// Identity and ReLU are IEEE-only, so they must match the CPU's bits; GELU
// calls tanh (CUDA's and glibc's differ by a few ulp); dbias sums in another
// order, so its tolerance grows with the number of rows.
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;
using ops::Activation;

const Activation kActivations[] = {Activation::kNone, Activation::kRelu, Activation::kGelu};

const char* Name(Activation act) {
  return act == Activation::kNone ? "none" : act == Activation::kRelu ? "relu" : "gelu";
}

// GELU within tanh's ulps (|x| <= 4 keeps 1 + tanh and 1 - tanh^2 away from
// total cancellation); the others exactly.
::testing::AssertionResult Matches(Activation act, const Tensor& gpu, const Tensor& cpu) {
  return act == Activation::kGelu ? CloseToCpu(gpu, cpu, 1e-5, 1e-5) : SameBytes(gpu, cpu);
}

using GpuBiasActivation = GpuTest;

TEST_F(GpuBiasActivation, ForwardMatchesCpu) {
  for (const gpu_test::RowsCols& s : gpu_test::MatrixShapes()) {
    Tensor x = RandomTensor({s.rows, s.cols}, 1, -4.0f, 4.0f), bias = RandomTensor({s.cols}, 2);
    for (Activation act : kActivations) {
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "] " << Name(act) << " bias "
                                        << with_bias);
        const Tensor b = with_bias ? bias : Tensor();
        Tensor y = Tensor::Empty(x.shape()), pre = Tensor::Empty(x.shape());
        ops::BiasActivationForward(x, b, act, y, pre);
        Tensor gx = OnGpu(x), gy = Tensor::Empty(x.shape(), DType::kF32, DeviceType::kCuda);
        Tensor gpre = Tensor::Empty(x.shape(), DType::kF32, DeviceType::kCuda);
        ops::BiasActivationForward(gx, OnGpu(b), act, gy, gpre);
        EXPECT_TRUE(Matches(act, gy, y));
        EXPECT_TRUE(SameBytes(gpre, pre));
        // Without pre, and in place (y == x).
        ops::BiasActivationForward(gx, OnGpu(b), act, gx, Tensor());
        EXPECT_TRUE(Matches(act, gx, y));
      }
    }
  }
}

TEST_F(GpuBiasActivation, BackwardWithoutBiasMatchesCpu) {
  for (int64_t n : gpu_test::FlatSizes()) {
    Tensor dy = RandomTensor({n}, 3), saved = RandomTensor({n}, 4, -4.0f, 4.0f);
    for (Activation act : kActivations) {
      SCOPED_TRACE(testing::Message() << "n " << n << " " << Name(act));
      Tensor dz = Tensor::Empty({n});
      ops::BiasActivationBackward(dy, saved, act, dz, Tensor(), false);
      Tensor gdy = OnGpu(dy);
      ops::BiasActivationBackward(gdy, OnGpu(saved), act, gdy, Tensor(), false);  // dz == dy
      EXPECT_TRUE(Matches(act, gdy, dz));
    }
  }
}

TEST_F(GpuBiasActivation, BackwardWithBiasMatchesCpu) {
  std::vector<gpu_test::RowsCols> shapes = gpu_test::MatrixShapes();
  shapes.push_back({200, 300000});  // two slabs, limited by the column scratch
  shapes.push_back({3, 1100000});   // more columns than the scratch: one slab
  shapes.push_back({0, 5});         // no rows: dbias = 0, or unchanged when accumulating
  for (const gpu_test::RowsCols& s : shapes) {
    Tensor dy = RandomTensor({s.rows, s.cols}, 5), saved = RandomTensor({s.rows, s.cols}, 6, -4.0f, 4.0f);
    Tensor dbias_start = RandomTensor({s.cols}, 7);
    for (Activation act : kActivations) {
      for (bool accumulate : {false, true}) {
        SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "] " << Name(act) << " accumulate "
                                        << accumulate);
        Tensor dz = Tensor::Empty(dy.shape()), dbias = Tensor::Empty({s.cols});
        dbias.CopyFrom(dbias_start);
        ops::BiasActivationBackward(dy, saved, act, dz, dbias, accumulate);
        Tensor gdz = Tensor::Empty(dy.shape(), DType::kF32, DeviceType::kCuda), gdbias = OnGpu(dbias_start);
        ops::BiasActivationBackward(OnGpu(dy), OnGpu(saved), act, gdz, gdbias, accumulate);
        EXPECT_TRUE(Matches(act, gdz, dz));
        // |dz| <= ~1.2: both sums are within rows * 1e-7-ish of the truth.
        EXPECT_TRUE(CloseToCpu(gdbias, dbias, 1e-6 * static_cast<double>(s.rows) + 1e-6, 1e-5));
      }
    }
  }
}

TEST_F(GpuBiasActivation, BackwardIsDeterministic) {
  Tensor dy = OnGpu(RandomTensor({4099, 33}, 8)), saved = OnGpu(RandomTensor({4099, 33}, 9));
  Tensor dz = Tensor::Empty(dy.shape(), DType::kF32, DeviceType::kCuda);
  Tensor first = Tensor::Empty({33}, DType::kF32, DeviceType::kCuda);
  Tensor second = Tensor::Empty({33}, DType::kF32, DeviceType::kCuda);
  ops::BiasActivationBackward(dy, saved, Activation::kGelu, dz, first, false);
  ops::BiasActivationBackward(dy, saved, Activation::kGelu, dz, second, false);
  EXPECT_TRUE(SameBytes(second, gpu_test::OnCpu(first)));
}

}  // namespace
}  // namespace aif
