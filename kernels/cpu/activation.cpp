// Bias + activation, forward and backward, each fused into one pass over
// memory: the forward reads x once and writes y (and pre); the backward reads
// dy and the saved tensor once, writes dz and adds each row into dbias, which
// stays in cache. The activation and the optional operands are template
// parameters, so every inner loop is branch-free and vectorises; aliasing
// (y == x, dz == dy) is legal because each element is read before it is
// written at the same index. GELU is PyTorch's approximate='tanh', formula
// for formula, so models trained here and there agree.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_ops.h"

namespace aif {
namespace ops {
namespace cpu {
namespace {

// PyTorch's constants: kBeta = M_SQRT2 * M_2_SQRTPI * 0.5 = sqrt(2 / pi).
constexpr float kGeluBeta = 0.7978845608028654f;
constexpr float kGeluKappa = 0.044715f;

template <Activation kAct>
AIF_CPU_INLINE float Activate(float v) {
  if constexpr (kAct == Activation::kRelu) {
    return std::max(v, 0.0f);  // (v < 0) ? 0 : v, so NaN stays visible
  } else if constexpr (kAct == Activation::kGelu) {
    const float inner = kGeluBeta * (v + kGeluKappa * v * v * v);
    return 0.5f * v * (1.0f + std::tanh(inner));
  } else {
    return v;
  }
}

// d act / d(pre) times dy; `saved` is y for ReLU and pre for GELU.
template <Activation kAct>
AIF_CPU_INLINE float Differentiate(float dy, float saved) {
  if constexpr (kAct == Activation::kRelu) {
    return saved > 0.0f ? dy : 0.0f;
  } else if constexpr (kAct == Activation::kGelu) {
    const float x = saved, x_sq = x * x;
    const float tanh_inner = std::tanh(kGeluBeta * (x + kGeluKappa * x_sq * x));
    const float left = 0.5f * x, right = 1.0f + tanh_inner;
    const float left_derivative = 0.5f * right;
    const float right_derivative =
        left * (1.0f - tanh_inner * tanh_inner) * kGeluBeta * (1.0f + 3.0f * kGeluKappa * x_sq);
    return dy * (left_derivative + right_derivative);
  } else {
    (void)saved;
    return dy;
  }
}

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
