// Optimizer updates and the reductions around them (gradient clipping needs
// SquaredNorm, Scale; averaging needs Axpy). Each update is one pass over its
// arrays, in the order of PyTorch's single-tensor implementations (torch.optim
// SGD and AdamW), so trajectories match PyTorch's up to float rounding.
// Hyperparameter scalars (bias corrections) are computed once in double, as
// Python computes them, and cast to float for the loop.
#include <cmath>

#include "kernels/cpu/cpu_ops.h"

namespace aif {
namespace ops {
namespace cpu {

AIF_CPU_CLONES void SgdUpdate(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& hp) {
  const float lr = hp.lr, wd = hp.weight_decay, mu = hp.momentum;
  if (mu == 0.0f) {
    for (int64_t i = 0; i < n; ++i) {
      const float g = grad[i] + wd * param[i];
      param[i] -= lr * g;
    }
  } else if (hp.nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float g = grad[i] + wd * param[i];
      const float buf = mu * momentum_buf[i] + g;
      momentum_buf[i] = buf;
      param[i] -= lr * (g + mu * buf);
    }
  } else {
    // A zero-initialised buffer gives buf = g on the first step, as PyTorch's
    // clone(g) does (dampening is 0).
    for (int64_t i = 0; i < n; ++i) {
      const float g = grad[i] + wd * param[i];
      const float buf = mu * momentum_buf[i] + g;
      momentum_buf[i] = buf;
      param[i] -= lr * buf;
    }
  }
}

AIF_CPU_CLONES void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWParams& hp) {
  const double step = static_cast<double>(hp.step);
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(hp.beta1), step);
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(hp.beta2), step);
  const float step_size = static_cast<float>(hp.lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float decay = static_cast<float>(1.0 - static_cast<double>(hp.lr) * hp.weight_decay);
  const float m_weight = static_cast<float>(1.0 - hp.beta1), v_weight = static_cast<float>(1.0 - hp.beta2);
  const float beta2 = hp.beta2, eps = hp.eps;
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    const float m_i = m[i] + m_weight * (g - m[i]);  // lerp(m, g, 1 - beta1)
    const float v_i = v[i] * beta2 + v_weight * g * g;
    m[i] = m_i;
    v[i] = v_i;
    const float denom = std::sqrt(v_i) / bias_correction2_sqrt + eps;
    param[i] = param[i] * decay - step_size * (m_i / denom);
  }
}

double SquaredNorm(const float* x, int64_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

AIF_CPU_CLONES void Scale(float* x, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

AIF_CPU_CLONES void Axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
