// Optimizer updates and the reductions around them on CUDA, the counterparts
// of cpu/optim.cpp. The model's parameters, gradients and optimizer state are
// each one flat buffer, so every update is one fused element-wise kernel over
// all parameters (a grid-stride loop: one read of each operand, one write of
// each updated array). Weights decay and biases do not: a bit mask (ops.h)
// says which, so one launch still covers the whole buffer. The per-element steps and AdamW's per-step scalars are
// elementwise_math.h's; with --fmad=false the updates give the CPU's bits.
// SquaredNorm sums squares in double, per block in a fixed order, then the
// blocks in order: on the host, or for SquaredNormInto in a one-thread kernel
// (see cuda_common.cuh). ClipToNorm reads that norm on the device, so
// clipping needs no host round trip.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

// Whether element i takes weight decay: its bit of the mask is set (or no mask).
__device__ __forceinline__ bool Decays(const uint32_t* mask, int64_t i) {
  return mask == nullptr || ((__ldg(mask + (i >> 5)) >> (i & 31)) & 1u);
}

__global__ void SgdKernel(float* param, const float* grad, const uint32_t* mask, int64_t n, float lr, float wd) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) SgdStep(param[i], grad[i], lr, Decays(mask, i) ? wd : 0.0f);
}

template <bool kNesterov>
__global__ void SgdMomentumKernel(float* param, const float* grad, float* momentum_buf, const uint32_t* mask, int64_t n,
                                  float lr, float wd, float mu) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) {
    SgdMomentumStep<kNesterov>(param[i], grad[i], momentum_buf[i], lr, Decays(mask, i) ? wd : 0.0f, mu);
  }
}

// `with` and `without` differ only in the decay factor (1 - lr * wd, and 1).
__global__ void AdamWKernel(float* param, const float* grad, float* m, float* v, const uint32_t* mask, int64_t n,
                            AdamWScalars with, float no_decay) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) {
    AdamWScalars s = with;
    s.decay = Decays(mask, i) ? with.decay : no_decay;
    AdamWStep(param[i], grad[i], m[i], v[i], s);
  }
}

__global__ void SquaredNormKernel(const float* x, int64_t n, ReduceSlots* slots) {
  double sum = 0.0;
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) sum += static_cast<double>(x[i]) * x[i];
  BlockSumToPartial(sum, slots->partials);
}

__global__ void ScaleKernel(float* x, int64_t n, float alpha) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) x[i] *= alpha;
}

// Every thread computes the factor from the device scalar (one cached load
// and a few double operations) rather than a second kernel handing it over.
__global__ void ClipToNormKernel(float* x, int64_t n, const double* squared_norm, double max_norm) {
  const float factor = ClipFactor(*squared_norm, max_norm);
  if (factor == 1.0f) return;
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) x[i] *= factor;
}

__global__ void AxpyKernel(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) y[i] += alpha * x[i];
}

}  // namespace

void SgdUpdate(float* param, const float* grad, float* momentum_buf, const uint32_t* decay_mask, int64_t n,
               const SgdParams& hp) {
  if (n == 0) return;
  const float lr = hp.lr, wd = hp.weight_decay, mu = hp.momentum;
  if (mu == 0.0f) {
    AIF_LAUNCH(SgdKernel, ElementBlocks(n), kThreads, param, grad, decay_mask, n, lr, wd);
  } else if (hp.nesterov) {
    AIF_LAUNCH(SgdMomentumKernel<true>, ElementBlocks(n), kThreads, param, grad, momentum_buf, decay_mask, n, lr, wd,
               mu);
  } else {
    AIF_LAUNCH(SgdMomentumKernel<false>, ElementBlocks(n), kThreads, param, grad, momentum_buf, decay_mask, n, lr, wd,
               mu);
  }
}

void AdamWUpdate(float* param, const float* grad, float* m, float* v, const uint32_t* decay_mask, int64_t n,
                 const AdamWParams& hp) {
  if (n == 0) return;
  AdamWParams no_decay = hp;
  no_decay.weight_decay = 0.0f;
  AIF_LAUNCH(AdamWKernel, ElementBlocks(n), kThreads, param, grad, m, v, decay_mask, n, AdamWScalarsOf(hp),
             AdamWScalarsOf(no_decay).decay);
}

double SquaredNorm(const float* x, int64_t n) {
  if (n == 0) return 0.0;
  const int blocks = ReduceBlocks(n);
  return Reduce(blocks, [&](ReduceSlots* slots) { AIF_LAUNCH(SquaredNormKernel, blocks, kThreads, x, n, slots); });
}

void SquaredNormInto(const float* x, int64_t n, double* squared_norm) {
  const int blocks = n == 0 ? 0 : ReduceBlocks(n);
  ReduceInto(blocks, squared_norm, /*accumulate=*/false, [&](ReduceSlots* slots) {
    if (blocks == 0) return;
    AIF_LAUNCH(SquaredNormKernel, blocks, kThreads, x, n, slots);
  });
}

void ClipToNorm(float* x, int64_t n, const double* squared_norm, double max_norm) {
  if (n == 0) return;
  AIF_LAUNCH(ClipToNormKernel, ElementBlocks(n), kThreads, x, n, squared_norm, max_norm);
}

void Scale(float* x, int64_t n, float alpha) {
  if (n == 0) return;
  AIF_LAUNCH(ScaleKernel, ElementBlocks(n), kThreads, x, n, alpha);
}

void Axpy(float alpha, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  AIF_LAUNCH(AxpyKernel, ElementBlocks(n), kThreads, alpha, x, y, n);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
