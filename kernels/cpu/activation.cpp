// Bias + activation, forward and backward, each fused into one pass over
// memory: the forward reads x once and writes y (and pre); the backward reads
// dy and the saved tensor once, writes dz and adds each row into dbias, which
// stays in cache. The activation and the optional operands are template
// parameters, so every inner loop is branch-free and vectorises; aliasing
// (y == x, dz == dy) is legal because each element is read before it is
// written at the same index. The formulas (GELU is PyTorch's
// approximate='tanh') are kernels/elementwise_math.h's, shared with CUDA.
#include <algorithm>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {
namespace {

template <Activation kAct, bool kHasBias, bool kSavePre>
AIF_CPU_INLINE void ForwardRows(const float* x, const float* bias, int64_t rows, int64_t cols, float* y, float* pre) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float* pr = kSavePre ? pre + r * cols : nullptr;
    for (int64_t j = 0; j < cols; ++j) {
      const float v = kHasBias ? xr[j] + bias[j] : xr[j];
      if (kSavePre) pr[j] = v;
      yr[j] = Activate<kAct>(v);
    }
  }
}

template <Activation kAct>
AIF_CPU_INLINE void Forward(const float* x, const float* bias, int64_t rows, int64_t cols, float* y, float* pre) {
  if (bias && pre)
    ForwardRows<kAct, true, true>(x, bias, rows, cols, y, pre);
  else if (bias)
    ForwardRows<kAct, true, false>(x, bias, rows, cols, y, pre);
  else if (pre)
    ForwardRows<kAct, false, true>(x, bias, rows, cols, y, pre);
  else
    ForwardRows<kAct, false, false>(x, bias, rows, cols, y, pre);
}

template <Activation kAct, bool kBiasGrad>
AIF_CPU_INLINE void BackwardRows(const float* dy, const float* saved, int64_t rows, int64_t cols, float* dz,
                  float* __restrict__ dbias) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * cols;
    const float* sr = kAct == Activation::kNone ? nullptr : saved + r * cols;
    float* dzr = dz + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      // Both loads are unconditional: a load inside the select would stop
      // the vectoriser ("control flow in loop").
      const float g_in = dyr[j];
      const float s = kAct == Activation::kNone ? 0.0f : sr[j];
      const float g = Differentiate<kAct>(g_in, s);
      dzr[j] = g;
      if (kBiasGrad) dbias[j] += g;
    }
  }
}

template <Activation kAct>
AIF_CPU_INLINE void Backward(const float* dy, const float* saved, int64_t rows, int64_t cols, float* dz, float* dbias,
              bool accumulate_dbias) {
  if (!dbias) return BackwardRows<kAct, false>(dy, saved, rows, cols, dz, nullptr);
  if (!accumulate_dbias) std::fill(dbias, dbias + cols, 0.0f);
  BackwardRows<kAct, true>(dy, saved, rows, cols, dz, dbias);
}

}  // namespace

AIF_CPU_CLONES void BiasActivationForward(const float* x, const float* bias, int64_t rows, int64_t cols, Activation act, float* y,
                           float* pre) {
  switch (act) {
    case Activation::kNone: return Forward<Activation::kNone>(x, bias, rows, cols, y, pre);
    case Activation::kRelu: return Forward<Activation::kRelu>(x, bias, rows, cols, y, pre);
    case Activation::kGelu: return Forward<Activation::kGelu>(x, bias, rows, cols, y, pre);
  }
}

AIF_CPU_CLONES void BiasActivationBackward(const float* dy, const float* saved, int64_t rows, int64_t cols, Activation act, float* dz,
                            float* dbias, bool accumulate_dbias) {
  switch (act) {
    case Activation::kNone: return Backward<Activation::kNone>(dy, saved, rows, cols, dz, dbias, accumulate_dbias);
    case Activation::kRelu: return Backward<Activation::kRelu>(dy, saved, rows, cols, dz, dbias, accumulate_dbias);
    case Activation::kGelu: return Backward<Activation::kGelu>(dy, saved, rows, cols, dz, dbias, accumulate_dbias);
  }
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
