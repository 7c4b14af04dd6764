// The dispatch contract of kernels/ops.cpp: operand errors are internal
// errors that name the op and every operand's type and shape; CUDA operands
// are a usage error with advice until the CUDA backend exists (skipped where
// no GPU is usable); operands on two devices are rejected.
#include <gtest/gtest.h>

#include "kernels/ops.h"
#include "kernels_test_util.h"
#include "tensor/device.h"

namespace aif {
namespace {

TEST(KernelsDispatch, OperandErrorsNameTheOpAndEveryOperand) {
  Tensor x = kernel_test::RandomTensor({2, 3}, 1);
  Tensor y = Tensor::Empty({2, 4});
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::BiasActivationForward(x, Tensor(), ops::Activation::kRelu, y, Tensor()); }, ErrorKind::kInternal,
      {"op BiasActivationForward: operand y must have shape [2, 3]", "x f32[2, 3] on cpu", "bias undefined",
       "y f32[2, 4] on cpu", "pre undefined"}));
}

TEST(KernelsDispatch, CudaOperandsAreAUsageErrorUntilTheCudaBackendExists) {
  if (!ProbeCuda().usable) GTEST_SKIP() << "no usable CUDA device: " << ProbeCuda().reason;
  Tensor x = Tensor::Zeros({4}, DType::kF32, DeviceType::kCuda);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Scale(x, 2.0f); }, ErrorKind::kUsage,
                                       {"op Scale has no CUDA implementation yet", "--device cpu"}));
  Tensor host = Tensor::Zeros({4});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Axpy(1.0f, host, x); }, ErrorKind::kInternal,
                                       {"op Axpy", "different devices"}));
}

}  // namespace
}  // namespace aif
