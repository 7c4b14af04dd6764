// Optimizer updates and the reductions around them (gradient clipping needs
// SquaredNorm and Scale, or SquaredNormInto and ClipToNorm; averaging needs
// Axpy). Each update is one pass over its
// arrays, in the order of PyTorch's single-tensor implementations (torch.optim
// SGD and AdamW), so trajectories match PyTorch's up to float rounding. The
// per-element steps and AdamW's per-step scalars are kernels/elementwise_math.h's,
// shared with CUDA.
#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {

AIF_CPU_CLONES void SgdUpdate(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& hp) {
  const float lr = hp.lr, wd = hp.weight_decay, mu = hp.momentum;
  if (mu == 0.0f) {
    for (int64_t i = 0; i < n; ++i) SgdStep(param[i], grad[i], lr, wd);
  } else if (hp.nesterov) {
    for (int64_t i = 0; i < n; ++i) SgdMomentumStep<true>(param[i], grad[i], momentum_buf[i], lr, wd, mu);
  } else {
    for (int64_t i = 0; i < n; ++i) SgdMomentumStep<false>(param[i], grad[i], momentum_buf[i], lr, wd, mu);
  }
}

AIF_CPU_CLONES void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWParams& hp) {
  const AdamWScalars s = AdamWScalarsOf(hp);
  for (int64_t i = 0; i < n; ++i) AdamWStep(param[i], grad[i], m[i], v[i], s);
}

double SquaredNorm(const float* x, int64_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

void SquaredNormInto(const float* x, int64_t n, double* squared_norm) { *squared_norm = SquaredNorm(x, n); }

void ClipToNorm(float* x, int64_t n, const double* squared_norm, double max_norm) {
  const float factor = ClipFactor(*squared_norm, max_norm);
  if (factor != 1.0f) Scale(x, n, factor);
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
