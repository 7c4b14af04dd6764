// Mixed precision (PassContext::gemm_dtype = kBF16): the linear layers'
// GEMMs take bf16-rounded operands and sum in f32, and everything else stays
// f32. Checked on the CPU backend, whose bf16 GEMM is exact on the widened
// values: a layer's output is the f32 output for rounded inputs and weights;
// gradients stay within bf16 rounding of the f32 ones (and differ from them,
// so the bf16 path ran); parameters and gradients remain f32 tensors whose
// updates keep the bits bf16 would drop (master weights).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/ops.h"
#include "kernels_test_util.h"
#include "nn/model.h"

namespace aif {
namespace {

// Rounds every element of an f32 tensor to the nearest bf16 value, in place.
void RoundToBF16(const Tensor& t) {
  Tensor bits = Tensor::Empty(t.shape(), DType::kBF16);
  ops::CastF32ToBF16(t, bits);
  ops::CastBF16ToF32(bits, t);
}

Tensor Forward(Model& m, const Tensor& x, DType gemm_dtype) {
  PassContext ctx;
  ctx.training = false;
  ctx.gemm_dtype = gemm_dtype;
  Tensor out = m.Forward(x, ctx);
  Tensor copy = Tensor::Empty(out.shape());
  copy.CopyFrom(out);
  return copy;
}

TEST(MixedPrecision, LinearOutputIsTheF32OutputOfRoundedOperands) {
  auto m = Model::Build("linear(9) relu linear(5)", {13}, 5);
  m->Initialize(7);
  Tensor x = kernel_test::RandomTensor({6, 13}, 3);
  const Tensor bf16 = Forward(*m, x, DType::kBF16);
  const Tensor f32 = Forward(*m, x, DType::kF32);
  EXPECT_FALSE(kernel_test::SameBits(bf16, f32)) << "bf16 must round the operands";
  // With inputs and weights already bf16 values, only the hidden layer's
  // output still rounds: one layer alone matches f32 bit for bit.
  auto single = Model::Build("linear(5)", {13}, 5);
  single->Initialize(7);
  RoundToBF16(single->params());
  RoundToBF16(x);
  EXPECT_TRUE(kernel_test::SameBits(Forward(*single, x, DType::kBF16), Forward(*single, x, DType::kF32)));
}

// Gradients of summed cross-entropy for labels i % outputs.
Tensor Gradients(Model& m, const Tensor& x, DType gemm_dtype) {
  const int64_t n = x.dim(0);
  Tensor labels = Tensor::Empty({n}, DType::kI32);
  for (int64_t i = 0; i < n; ++i) labels.data<int32_t>()[i] = static_cast<int32_t>(i % m.outputs());
  PassContext ctx;
  ctx.gemm_dtype = gemm_dtype;
  Tensor out = m.Forward(x, ctx);
  Tensor dout = Tensor::Empty(out.shape());
  ops::SoftmaxCrossEntropy(out, labels, Tensor(), 1.0f, dout);
  m.Backward(dout, ctx, nullptr);
  Tensor g = Tensor::Empty(m.grads().shape());
  g.CopyFrom(m.grads());
  return g;
}

TEST(MixedPrecision, GradientsStayWithinBF16RoundingOfF32AndParametersStayF32) {
  auto m = Model::Build("mlp 20-32-16-4 relu", {20}, 4);
  m->Initialize(11);
  Tensor x = kernel_test::RandomTensor({8, 20}, 5);
  const Tensor g32 = Gradients(*m, x, DType::kF32);
  const Tensor g16 = Gradients(*m, x, DType::kBF16);
  ASSERT_EQ(g16.dtype(), DType::kF32);
  EXPECT_FALSE(kernel_test::SameBits(g16, g32));
  double max_g = 0;
  for (int64_t i = 0; i < g32.numel(); ++i) max_g = std::max(max_g, std::fabs(double(g32.data<float>()[i])));
  // Three GEMMs in a chain, each operand rounded by 2^-9 relative: a few
  // percent of the largest gradient bounds the difference.
  EXPECT_TRUE(kernel_test::AllClose(g16, kernel_test::ToDoubles(g32), 0.03 * max_g, 0.03));

  // The master weights take updates far below bf16's resolution.
  ASSERT_EQ(m->params().dtype(), DType::kF32);
  RoundToBF16(m->params());
  ops::SgdUpdate(m->params(), g16, Tensor(), ops::SgdParams{1e-4f, 0.0f, 0.0f, false});
  int64_t below_bf16 = 0;
  for (int64_t i = 0; i < m->num_params(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, m->params().data<float>() + i, 4);
    below_bf16 += (bits & 0xffffu) != 0;
  }
  EXPECT_GT(below_bf16, m->num_params() / 2);
}

}  // namespace
}  // namespace aif
