// The dispatch contract of kernels/ops.cpp: operand errors are internal
// errors that name the op and every operand's type and shape. What needs a
// GPU (CUDA operands dispatched to kernels/cuda/, operands on two devices
// rejected) is tested in tests/gpu/*_gpu_test.cpp.
#include <gtest/gtest.h>

#include "kernels/ops.h"
#include "kernels_test_util.h"

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

}  // namespace
}  // namespace aif
