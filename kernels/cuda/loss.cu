// Losses and classification metrics on CUDA, the counterparts of
// cpu/loss.cpp. Row-wise ops map one warp to one row: lanes stride over the
// classes (coalesced), and butterfly shuffles give every lane the row's max,
// sum, argmax or count. Numerics follow the CPU: the row max is subtracted
// before expf, the row's log-sum-exp is float, and the per-row losses are
// summed in double (per block in a fixed order, then the blocks on the host).
// Where the CPU scans a row sequentially (max, argmax), the warp reduces with
// an order that picks the same element, NaN included: a NaN in column 0 wins,
// NaN elsewhere is ignored, ties go to the lower class index. Only the order
// of the float sum of exponentials differs from the CPU (a few ulp).
// A label outside [0, C) in a valid row (an internal error, as on the CPU) is
// flagged with atomicMin of (row << 32 | label) and thrown after the kernel
// by the ops that wait for their result; the *Into forms, which do not wait,
// store NaN instead of the sum (see ops.h).
#include <cstdint>

#include "core/error.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

__device__ __forceinline__ bool IsValid(const uint8_t* valid, int64_t r) { return !valid || valid[r] != 0; }

// The CPU's RowMax: std::max over the row from x[0], which ignores a NaN
// after the first element and keeps a NaN in it.
__device__ float WarpRowMax(const float* x, int64_t classes) {
  float m = -INFINITY;
  for (int64_t j = Lane(); j < classes; j += kWarpSize) m = fmaxf(m, x[j]);
  m = WarpAllMax(m);
  return isnan(x[0]) ? x[0] : m;
}

// sum over the row of expf(x[j] - max).
__device__ float WarpRowExpSum(const float* x, int64_t classes, float max) {
  float sum = 0.0f;
  for (int64_t j = Lane(); j < classes; j += kWarpSize) sum += expf(x[j] - max);
  return WarpAllSum(sum);
}

// The order in which the CPU's scan (best = j when x[j] > x[best]) prefers
// elements, for a row whose first element is a number: a larger number
// first, every number before NaN, and ties to the lower index. The empty
// candidate (NaN, INT32_MAX) loses to every element.
__device__ __forceinline__ bool Beats(float v, int32_t i, float w, int32_t k) {
  const bool v_nan = isnan(v), w_nan = isnan(w);
  if (v_nan != w_nan) return w_nan;
  if (!v_nan && v != w) return v > w;
  return i < k;
}

__device__ int32_t WarpRowArgmax(const float* x, int64_t classes) {
  float best = NAN;
  int32_t best_index = INT32_MAX;
  for (int64_t j = Lane(); j < classes; j += kWarpSize) {
    if (Beats(x[j], static_cast<int32_t>(j), best, best_index)) best = x[j], best_index = static_cast<int32_t>(j);
  }
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, best, offset);
    const int32_t other_index = __shfl_xor_sync(0xffffffffu, best_index, offset);
    if (Beats(other, other_index, best, best_index)) best = other, best_index = other_index;
  }
  return isnan(x[0]) ? 0 : best_index;  // the CPU's scan never leaves a NaN in column 0
}

__global__ void SoftmaxCrossEntropyKernel(const float* logits, const int32_t* labels, const uint8_t* valid,
                                          int64_t rows, int64_t classes, float grad_scale, float* dlogits,
                                          ReduceSlots* slots) {
  double loss = 0.0;  // lane 0's rows
  for (int64_t r = GlobalWarp(); r < rows; r += WarpCount()) {
    const float* x = logits + r * classes;
    float* d = dlogits ? dlogits + r * classes : nullptr;
    if (!IsValid(valid, r)) {
      if (d) {
        for (int64_t j = Lane(); j < classes; j += kWarpSize) d[j] = 0.0f;
      }
      continue;
    }
    const int32_t label = labels[r];
    if (label < 0 || label >= classes) {
      const unsigned long long key = (static_cast<unsigned long long>(r) << 32) | static_cast<uint32_t>(label);
      if (Lane() == 0) atomicMin(&slots->flag, key);
      continue;
    }
    const float max = WarpRowMax(x, classes);
    const float label_shifted = x[label] - max;
    const float sum = WarpRowExpSum(x, classes, max);
    if (Lane() == 0) loss += static_cast<double>(logf(sum) - label_shifted);
    if (!d) continue;
    // d may be x: every lane has read x[0] and x[label] (owned by one lane
    // each) before any lane writes; each lane then rewrites only its columns.
    __syncwarp();
    const float factor = grad_scale / sum;
    for (int64_t j = Lane(); j < classes; j += kWarpSize) {
      const float scaled = expf(x[j] - max) * factor;
      d[j] = j == label ? scaled - grad_scale : scaled;
    }
  }
  BlockSumToPartial(loss, slots->partials);
}

__global__ void MeanSquaredErrorKernel(const float* pred, const float* target, const uint8_t* valid, int64_t rows,
                                       float grad_scale, float* dpred, ReduceSlots* slots) {
  double loss = 0.0;
  for (int64_t r = GlobalThread(); r < rows; r += ThreadCount()) {
    loss += SquaredErrorRow(pred[r], target[r], IsValid(valid, r), grad_scale, dpred ? dpred + r : nullptr);
  }
  BlockSumToPartial(loss, slots->partials);
}

__global__ void CountCorrectKernel(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                                   int64_t classes, ReduceSlots* slots) {
  double correct = 0.0;  // exact: counts stay far below 2^53
  for (int64_t r = GlobalWarp(); r < rows; r += WarpCount()) {
    if (!IsValid(valid, r)) continue;
    const int32_t best = WarpRowArgmax(logits + r * classes, classes);
    if (Lane() == 0 && best == labels[r]) correct += 1.0;
  }
  BlockSumToPartial(correct, slots->partials);
}

__global__ void CountTopKKernel(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                                int64_t classes, int64_t k, ReduceSlots* slots) {
  double hits = 0.0;
  for (int64_t r = GlobalWarp(); r < rows; r += WarpCount()) {
    const int32_t label = labels[r];
    if (!IsValid(valid, r) || label < 0 || label >= classes) continue;
    const float* x = logits + r * classes;
    const float target = x[label];
    // The label's rank: classes that beat it, or tie with it at a lower index.
    int64_t ahead = 0;
    for (int64_t j = Lane(); j < classes; j += kWarpSize) ahead += (x[j] > target) || (x[j] == target && j < label);
    ahead = WarpAllSum(ahead);
    if (Lane() == 0 && ahead < k) hits += 1.0;
  }
  BlockSumToPartial(hits, slots->partials);
}

__global__ void ArgmaxKernel(const float* logits, int64_t rows, int64_t classes, int32_t* out) {
  for (int64_t r = GlobalWarp(); r < rows; r += WarpCount()) {
    const int32_t best = WarpRowArgmax(logits + r * classes, classes);
    if (Lane() == 0) out[r] = best;
  }
}

__global__ void SoftmaxKernel(const float* logits, int64_t rows, int64_t classes, float* probs) {
  for (int64_t r = GlobalWarp(); r < rows; r += WarpCount()) {
    const float* x = logits + r * classes;
    float* out = probs + r * classes;
    const float max = WarpRowMax(x, classes);
    const float inverse = 1.0f / WarpRowExpSum(x, classes, max);
    __syncwarp();  // probs may be logits: x[0] has been read by every lane
    for (int64_t j = Lane(); j < classes; j += kWarpSize) out[j] = expf(x[j] - max) * inverse;
  }
}

}  // namespace

double SoftmaxCrossEntropy(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                           int64_t classes, float grad_scale, float* dlogits) {
  if (rows == 0) return 0.0;
  AIF_CHECK(rows <= INT64_C(0xFFFFFFFF), "SoftmaxCrossEntropy: more than 2^32 rows");
  const int blocks = RowBlocks(rows);
  ReduceSlots* slots = DeviceReduceSlots();
  ClearFlag(slots);
  AIF_LAUNCH(SoftmaxCrossEntropyKernel, blocks, kThreads, logits, labels, valid, rows, classes, grad_scale, dlogits,
             slots);
  const ReduceSlots& result = ReadReduceSlots(slots, blocks);
  if (result.flag != kNoFlag) {
    ThrowInternal("op SoftmaxCrossEntropy: label %d of row %lld outside [0, %lld)",
                  static_cast<int32_t>(static_cast<uint32_t>(result.flag)), static_cast<long long>(result.flag >> 32),
                  static_cast<long long>(classes));
  }
  return SumPartials(result, blocks);
}

double MeanSquaredError(const float* pred, const float* target, const uint8_t* valid, int64_t rows, float grad_scale,
                        float* dpred) {
  if (rows == 0) return 0.0;
  const int blocks = ReduceBlocks(rows);
  return Reduce(blocks, [&](ReduceSlots* slots) {
    AIF_LAUNCH(MeanSquaredErrorKernel, blocks, kThreads, pred, target, valid, rows, grad_scale, dpred, slots);
  });
}

int64_t CountCorrect(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes) {
  if (rows == 0) return 0;
  const int blocks = RowBlocks(rows);
  return static_cast<int64_t>(Reduce(blocks, [&](ReduceSlots* slots) {
    AIF_LAUNCH(CountCorrectKernel, blocks, kThreads, logits, labels, valid, rows, classes, slots);
  }));
}

void SoftmaxCrossEntropyInto(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                             int64_t classes, float grad_scale, float* dlogits, double* loss_sum, bool accumulate) {
  AIF_CHECK(rows <= INT64_C(0xFFFFFFFF), "SoftmaxCrossEntropyInto: more than 2^32 rows");
  const int blocks = rows == 0 ? 0 : RowBlocks(rows);
  ReduceInto(blocks, loss_sum, accumulate, [&](ReduceSlots* slots) {
    if (blocks == 0) return;
    AIF_LAUNCH(SoftmaxCrossEntropyKernel, blocks, kThreads, logits, labels, valid, rows, classes, grad_scale, dlogits,
               slots);
  });
}

void MeanSquaredErrorInto(const float* pred, const float* target, const uint8_t* valid, int64_t rows,
                          float grad_scale, float* dpred, double* loss_sum, bool accumulate) {
  const int blocks = rows == 0 ? 0 : ReduceBlocks(rows);
  ReduceInto(blocks, loss_sum, accumulate, [&](ReduceSlots* slots) {
    if (blocks == 0) return;
    AIF_LAUNCH(MeanSquaredErrorKernel, blocks, kThreads, pred, target, valid, rows, grad_scale, dpred, slots);
  });
}

void CountCorrectInto(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                      int64_t classes, double* count, bool accumulate) {
  const int blocks = rows == 0 ? 0 : RowBlocks(rows);
  ReduceInto(blocks, count, accumulate, [&](ReduceSlots* slots) {
    if (blocks == 0) return;
    AIF_LAUNCH(CountCorrectKernel, blocks, kThreads, logits, labels, valid, rows, classes, slots);
  });
}

int64_t CountTopK(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes,
                  int64_t k) {
  if (rows == 0) return 0;
  const int blocks = RowBlocks(rows);
  return static_cast<int64_t>(Reduce(blocks, [&](ReduceSlots* slots) {
    AIF_LAUNCH(CountTopKKernel, blocks, kThreads, logits, labels, valid, rows, classes, k, slots);
  }));
}

void Argmax(const float* logits, int64_t rows, int64_t classes, int32_t* out) {
  if (rows == 0) return;
  AIF_LAUNCH(ArgmaxKernel, RowBlocks(rows), kThreads, logits, rows, classes, out);
}

void Softmax(const float* logits, int64_t rows, int64_t classes, float* probs) {
  if (rows == 0) return;
  AIF_LAUNCH(SoftmaxKernel, RowBlocks(rows), kThreads, logits, rows, classes, probs);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
