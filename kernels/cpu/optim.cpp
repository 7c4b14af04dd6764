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

namespace {

bool MaskBit(const uint32_t* mask, int64_t i) { return (mask[i >> 5] >> (i & 31)) & 1u; }

// Calls fn(begin, end, decays) for each maximal run of elements whose mask
// bit is the same (one run [0, n) that decays without a mask): the loops
// below stay branch-free and vectorised, and each run gets the bits of an
// unmasked update.
template <typename Fn>
void ForEachDecayRun(const uint32_t* mask, int64_t n, Fn fn) {
  if (mask == nullptr) {
    fn(0, n, true);
    return;
  }
  int64_t i = 0;
  while (i < n) {
    const bool bit = MaskBit(mask, i);
    const uint32_t same_word = bit ? ~0u : 0u;
    int64_t j = i + 1;
    while (j < n) {
      if ((j & 31) == 0 && j + 32 <= n && mask[j >> 5] == same_word) {
        j += 32;  // a whole word of the same bit
      } else if (MaskBit(mask, j) == bit) {
        ++j;
      } else {
        break;
      }
    }
    fn(i, j, bit);
    i = j;
  }
}

}  // namespace

AIF_CPU_CLONES void SgdRun(float* param, const float* grad, float* momentum_buf, int64_t n, float lr, float wd,
                           float mu, bool nesterov) {
  if (mu == 0.0f) {
    for (int64_t i = 0; i < n; ++i) SgdStep(param[i], grad[i], lr, wd);
  } else if (nesterov) {
    for (int64_t i = 0; i < n; ++i) SgdMomentumStep<true>(param[i], grad[i], momentum_buf[i], lr, wd, mu);
  } else {
    for (int64_t i = 0; i < n; ++i) SgdMomentumStep<false>(param[i], grad[i], momentum_buf[i], lr, wd, mu);
  }
}

AIF_CPU_CLONES void AdamWRun(float* param, const float* grad, float* m, float* v, int64_t n, AdamWScalars s) {
  for (int64_t i = 0; i < n; ++i) AdamWStep(param[i], grad[i], m[i], v[i], s);
}

void SgdUpdate(float* param, const float* grad, float* momentum_buf, const uint32_t* decay_mask, int64_t n,
               const SgdParams& hp) {
  ForEachDecayRun(decay_mask, n, [&](int64_t begin, int64_t end, bool decays) {
    SgdRun(param + begin, grad + begin, momentum_buf ? momentum_buf + begin : nullptr, end - begin, hp.lr,
           decays ? hp.weight_decay : 0.0f, hp.momentum, hp.nesterov);
  });
}

void AdamWUpdate(float* param, const float* grad, float* m, float* v, const uint32_t* decay_mask, int64_t n,
                 const AdamWParams& hp) {
  AdamWParams no_decay = hp;
  no_decay.weight_decay = 0.0f;
  const AdamWScalars with = AdamWScalarsOf(hp), without = AdamWScalarsOf(no_decay);
  ForEachDecayRun(decay_mask, n, [&](int64_t begin, int64_t end, bool decays) {
    AdamWRun(param + begin, grad + begin, m + begin, v + begin, end - begin, decays ? with : without);
  });
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
