// A small CNN (convolutions with padding and stride, ReLU, pooling with and
// without overlap, a linear head) built on the CPU, copied to the GPU and
// run on both: Conv2dLayer and MaxPool2dLayer on CUDA tensors (the
// convolution's workspace allocated for the device, pooling's backward
// given its kernel and stride). Parameters, inputs and output gradients are
// small integers, so every sum is exact in float whatever its order: the
// GPU's outputs and gradients must be the CPU's bits, ties in ReLU and
// pooling included.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gpu_test_util.h"
#include "nn/model.h"

namespace aif {
namespace {

using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;

// An integer in [-2, 2], scrambled over i.
float SmallInt(int64_t i, int64_t salt) { return static_cast<float>((i * 7919 + salt * 104729) % 5 - 2); }

Tensor SmallInts(const Shape& shape, int64_t salt) {
  Tensor t = Tensor::Empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = SmallInt(i, salt);
  return t;
}

using GpuCnn = GpuTest;

TEST_F(GpuCnn, ConvPoolModelGivesTheCpuBits) {
  const std::string spec = "conv(8,3,pad=1) relu pool(2) conv(6,3,stride=2,pad=1) relu pool(3,1) flatten linear(5)";
  std::unique_ptr<Model> cpu = Model::Build(spec, {3, 12, 12}, 5);
  float* params = cpu->params().data<float>();
  for (int64_t i = 0; i < cpu->num_params(); ++i) params[i] = SmallInt(i, 1);
  std::unique_ptr<Model> gpu = cpu->CopyTo(DeviceType::kCuda);

  const Tensor x = SmallInts({6, 3, 12, 12}, 2), dout = SmallInts({6, 5}, 3);
  PassContext ctx;
  const Tensor y = cpu->Forward(x, ctx);
  EXPECT_TRUE(SameBytes(gpu->Forward(OnGpu(x), ctx), y));
  for (bool accumulate : {false, true}) {
    SCOPED_TRACE(testing::Message() << "accumulate " << accumulate);
    ctx.accumulate = accumulate;
    Tensor host_dout = Tensor::Empty(dout.shape());  // backward may overwrite its argument
    host_dout.CopyFrom(dout);
    cpu->Backward(host_dout, ctx, nullptr);
    gpu->Backward(OnGpu(dout), ctx, nullptr);
    EXPECT_TRUE(SameBytes(gpu->grads(), cpu->grads()));
  }
}

}  // namespace
}  // namespace aif
