// The per-element formulas both backends compute, written once: activations
// and their derivatives, the dropout keep test, a row of the squared error,
// the SGD and AdamW steps, the gradient-clipping factor, and max pooling's
// window scan.
// Under nvcc they are __host__ __device__; for the host compiler they are
// always-inline, so the CPU loops that call them still vectorise. The CPU is
// built with -ffp-contract=off and kernels/cuda/ with --fmad=false, so a
// formula made only of IEEE + - * / and sqrt (ReLU, dropout, SGD, AdamW) gives
// the same bits on both devices; GELU calls tanh, whose CUDA version may differ
// from glibc's by a couple of ulp.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/rng.h"
#include "kernels/ops.h"

#if defined(__CUDACC__)
#define AIF_ELEMENT_FN __host__ __device__ __forceinline__
#else
#define AIF_ELEMENT_FN __attribute__((always_inline)) inline
#endif

namespace aif {
namespace ops {

// The host keeps the exact library calls of the CPU reference (std::tanh,
// std::sqrt); the device uses CUDA's tanhf and IEEE-rounded sqrtf.
#if defined(__CUDA_ARCH__)
AIF_ELEMENT_FN float TanhOf(float v) { return tanhf(v); }
AIF_ELEMENT_FN float SqrtOf(float v) { return sqrtf(v); }
AIF_ELEMENT_FN double SqrtOf(double v) { return sqrt(v); }
#else
AIF_ELEMENT_FN float TanhOf(float v) { return std::tanh(v); }
AIF_ELEMENT_FN float SqrtOf(float v) { return std::sqrt(v); }
AIF_ELEMENT_FN double SqrtOf(double v) { return std::sqrt(v); }
#endif

// ---- Activations -----------------------------------------------------------
// GELU is PyTorch's approximate='tanh', formula for formula; kGeluBeta is
// PyTorch's M_SQRT2 * M_2_SQRTPI * 0.5 = sqrt(2 / pi).
constexpr float kGeluBeta = 0.7978845608028654f;
constexpr float kGeluKappa = 0.044715f;

template <Activation kAct>
AIF_ELEMENT_FN float Activate(float v) {
  if constexpr (kAct == Activation::kRelu) {
    return v < 0.0f ? 0.0f : v;  // std::max(v, 0.0f): NaN stays visible
  } else if constexpr (kAct == Activation::kGelu) {
    const float inner = kGeluBeta * (v + kGeluKappa * v * v * v);
    return 0.5f * v * (1.0f + TanhOf(inner));
  } else {
    return v;
  }
}

// d act / d(pre) times dy; `saved` is y for ReLU and pre for GELU.
template <Activation kAct>
AIF_ELEMENT_FN float Differentiate(float dy, float saved) {
  if constexpr (kAct == Activation::kRelu) {
    return saved > 0.0f ? dy : 0.0f;
  } else if constexpr (kAct == Activation::kGelu) {
    const float x = saved, x_sq = x * x;
    const float tanh_inner = TanhOf(kGeluBeta * (x + kGeluKappa * x_sq * x));
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

// ---- Dropout ---------------------------------------------------------------
// Whether the element at Philox counter `index` survives (ops.h's definition).
AIF_ELEMENT_FN bool DropoutKeeps(uint64_t seed, uint64_t stream, uint64_t index, float p) {
  return UniformFloat(RandomBits(seed, RngPurpose::kDropout, stream, index).v[0]) >= p;
}

// ---- Losses ----------------------------------------------------------------
// One row of the squared error: (pred - target)^2 in double, 0 for a padding
// row; *dpred (when dpred is set) = 2 (pred - target) * grad_scale, or 0.
AIF_ELEMENT_FN double SquaredErrorRow(float pred, float target, bool valid, float grad_scale, float* dpred) {
  if (!valid) {
    if (dpred) *dpred = 0.0f;
    return 0.0;
  }
  const float diff = pred - target;
  if (dpred) *dpred = 2.0f * diff * grad_scale;
  return static_cast<double>(diff) * diff;
}

// ---- Gradient clipping -------------------------------------------------------
// ClipToNorm's factor: float(max_norm / norm) with norm = sqrt(squared_norm)
// in double (IEEE on both devices), or 1 (leave alone) when the norm is within
// max_norm or NaN.
AIF_ELEMENT_FN float ClipFactor(double squared_norm, double max_norm) {
  const double norm = SqrtOf(squared_norm);
  return norm > max_norm ? static_cast<float>(max_norm / norm) : 1.0f;
}

// ---- Optimizers ------------------------------------------------------------
// SGD without momentum: p -= lr * (grad + wd * p).
AIF_ELEMENT_FN void SgdStep(float& param, float grad, float lr, float wd) {
  const float g = grad + wd * param;
  param -= lr * g;
}

// SGD with momentum (dampening 0). A zero-initialised buffer gives buf = g on
// the first step, as PyTorch's clone(g) does.
template <bool kNesterov>
AIF_ELEMENT_FN void SgdMomentumStep(float& param, float grad, float& buf, float lr, float wd, float mu) {
  const float g = grad + wd * param;
  const float b = mu * buf + g;
  buf = b;
  if constexpr (kNesterov) {
    param -= lr * (g + mu * b);
  } else {
    param -= lr * b;
  }
}

// AdamW's per-step scalars, computed once in double as Python computes them
// (torch.optim.AdamW, single-tensor path), then cast to float for the loop.
struct AdamWScalars {
  float step_size;              // lr / (1 - beta1^t)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  float decay;                  // 1 - lr * wd (decoupled weight decay)
  float m_weight, v_weight;     // 1 - beta1, 1 - beta2
  float beta2, eps;
};

inline AdamWScalars AdamWScalarsOf(const AdamWParams& hp) {
  const double step = static_cast<double>(hp.step);
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(hp.beta1), step);
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(hp.beta2), step);
  AdamWScalars s;
  s.step_size = static_cast<float>(hp.lr / bias_correction1);
  s.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  s.decay = static_cast<float>(1.0 - static_cast<double>(hp.lr) * hp.weight_decay);
  s.m_weight = static_cast<float>(1.0 - hp.beta1);
  s.v_weight = static_cast<float>(1.0 - hp.beta2);
  s.beta2 = hp.beta2;
  s.eps = hp.eps;
  return s;
}

AIF_ELEMENT_FN void AdamWStep(float& param, float g, float& m, float& v, const AdamWScalars& s) {
  const float m_i = m + s.m_weight * (g - m);  // lerp(m, g, 1 - beta1)
  const float v_i = v * s.beta2 + s.v_weight * g * g;
  m = m_i;
  v = v_i;
  const float denom = SqrtOf(v_i) / s.bias_correction2_sqrt + s.eps;
  param = param * s.decay - s.step_size * (m_i / denom);
}

// Max pooling's window scan: the largest of the kernel x kernel window with
// top-left corner (h0, w0) of a plane `width` wide, scanned row by row; the
// first maximum wins and NaN wins over numbers. *index is h * width + w.
AIF_ELEMENT_FN float MaxOfWindow(const float* plane, int64_t width, int64_t h0, int64_t w0, int64_t kernel,
                                 int64_t* index) {
  int64_t best_index = h0 * width + w0;
  float best = plane[best_index];
  for (int64_t i = 0; i < kernel; ++i) {
    const float* row = plane + (h0 + i) * width;
    for (int64_t j = 0; j < kernel; ++j) {
      const float v = row[w0 + j];
      if (v > best || (v != v && best == best)) {
        best = v;
        best_index = (h0 + i) * width + w0 + j;
      }
    }
  }
  *index = best_index;
  return best;
}

}  // namespace ops
}  // namespace aif
