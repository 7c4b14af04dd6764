// Launch shapes and device helpers shared by the kernels of kernels/cuda/.
// Three thread mappings cover every op but the dbias sum (2-D tiles, see
// activation.cu):
// - element-wise: a 1-D grid of kThreads-thread blocks walks the flat array
//   with a grid-stride loop (consecutive threads touch consecutive elements:
//   coalesced); the grid is capped, so huge arrays reuse threads;
// - row-wise (softmax, losses, argmax): one warp per row, lanes striding over
//   the row's columns, rows handed out warp by warp in a grid-stride loop;
// - reductions: each thread sums its elements, the block sums its threads in
//   a fixed order into ReduceSlots::partials[blockIdx.x], and the blocks are
//   summed in order: by the host (ops that return the value) or by a
//   one-thread kernel into a device scalar (the *Into ops, which do not
//   wait). No floating-point atomics, so a rerun gives the same bits.
// Indices are int64_t throughout: tensors may exceed 2^31 elements.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/cuda_context.h"
#include "kernels/ops.h"

namespace aif {
namespace ops {
namespace cuda {

constexpr int kThreads = 256;  // threads per block for 1-D launches
constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = kThreads / kWarpSize;
constexpr int64_t kMaxElementBlocks = 65536;  // 16M threads: several waves on any GPU

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for an element-wise grid-stride loop over n > 0 elements.
inline int ElementBlocks(int64_t n) { return static_cast<int>(std::min(CeilDiv(n, kThreads), kMaxElementBlocks)); }
// Blocks for a reduction over n > 0 elements: at most one partial per slot.
inline int ReduceBlocks(int64_t n) { return static_cast<int>(std::min<int64_t>(CeilDiv(n, kThreads), kMaxPartials)); }
// Blocks for a warp-per-row kernel over rows > 0 rows.
inline int RowBlocks(int64_t rows) {
  return static_cast<int>(std::min<int64_t>(CeilDiv(rows, kWarpsPerBlock), kMaxPartials));
}

__device__ __forceinline__ int64_t GlobalThread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t ThreadCount() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }
__device__ __forceinline__ int Lane() { return threadIdx.x % kWarpSize; }
__device__ __forceinline__ int64_t GlobalWarp() {
  return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarpSize;
}
__device__ __forceinline__ int64_t WarpCount() { return static_cast<int64_t>(gridDim.x) * kWarpsPerBlock; }

// A strided walk over a [rows, cols] array (cols >= 1) that keeps the row
// and column of flat index i without a 64-bit division per element: by
// default the grid-stride walk (from GlobalThread() by ThreadCount()).
struct RowColCursor {
  int64_t i, r, j;
  int64_t cols, step, step_r, step_j;
  __device__ explicit RowColCursor(int64_t cols_) : RowColCursor(cols_, GlobalThread(), ThreadCount()) {}
  __device__ RowColCursor(int64_t cols_, int64_t start, int64_t step_)
      : i(start), r(start / cols_), j(start % cols_), cols(cols_), step(step_), step_r(step_ / cols_),
        step_j(step_ % cols_) {}
  __device__ void Next() {
    i += step;
    r += step_r;
    j += step_j;
    if (j >= cols) {  // j < 2 * cols: one carry at most
      j -= cols;
      ++r;
    }
  }
};

// Butterfly reductions over a full warp: every lane gets the same result
// (each step adds or compares the same two values on both lanes).
template <typename T>
__device__ __forceinline__ T WarpAllSum(T v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}
__device__ __forceinline__ float WarpAllMax(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Every thread of a kThreads-thread block calls this with its value; thread
// 0 gets the block's sum, in a fixed order (the others get 0). The block may
// call it again at once: it waits until every thread has passed the shared
// sums before it returns.
__device__ __forceinline__ double BlockSum(double v) {
  __shared__ double warp_sums[kWarpsPerBlock];
  v = WarpAllSum(v);
  if (Lane() == 0) warp_sums[threadIdx.x / kWarpSize] = v;
  __syncthreads();
  double sum = 0.0;
  if (threadIdx.x == 0) {
    for (int w = 0; w < kWarpsPerBlock; ++w) sum += warp_sums[w];
  }
  __syncthreads();
  return sum;
}

// Every thread of a kThreads-thread block calls this once with its value;
// the block's sum, in a fixed order, goes to partials[blockIdx.x].
__device__ __forceinline__ void BlockSumToPartial(double v, double* partials) {
  const double sum = BlockSum(v);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// Runs a reduction: launch(slots) starts a kernel of `blocks` blocks that
// ends in BlockSumToPartial(..., slots->partials); waits and returns the sum.
template <typename Launch>
double Reduce(int blocks, Launch&& launch) {
  ReduceSlots* slots = DeviceReduceSlots();
  launch(slots);
  return SumPartials(ReadReduceSlots(slots, blocks), blocks);
}

// The same without waiting: the sum goes to *out on the device (added to it
// when `accumulate`), NaN if the kernel raised the flag (cleared first).
template <typename Launch>
void ReduceInto(int blocks, double* out, bool accumulate, Launch&& launch) {
  ReduceSlots* slots = DeviceReduceSlots();
  ClearFlag(slots);
  launch(slots);
  StorePartialsSum(slots, blocks, out, accumulate);
}

// Calls f(std::integral_constant<Activation, act>{}), so a launcher picks the
// kernel template for a run-time activation in one place.
template <typename F>
void WithActivation(Activation act, F&& f) {
  switch (act) {
    case Activation::kNone: return f(std::integral_constant<Activation, Activation::kNone>{});
    case Activation::kRelu: return f(std::integral_constant<Activation, Activation::kRelu>{});
    case Activation::kGelu: return f(std::integral_constant<Activation, Activation::kGelu>{});
  }
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
