// Bias + activation on CUDA, the counterpart of cpu/activation.cpp, with the
// formulas of kernels/elementwise_math.h.
// - Forward: element-wise grid-stride loop over the flat [rows, cols] array;
//   a RowColCursor gives each element's bias column without a division. One
//   read of x (and bias, cached), one write of y (and pre).
// - Backward without dbias: element-wise, dz = dy * act'(saved).
// - Backward with dbias: 2-D blocks of 32 x 8 threads; blockIdx.x picks 32
//   columns (a warp reads 32 consecutive floats of one row: coalesced),
//   threadIdx.y and blockIdx.y pick rows. Each thread writes dz for its rows
//   and sums them in float; the block adds its 8 row lanes in a fixed order.
//   With one row slab (gridDim.y == 1) that is dbias; with several, each slab
//   writes its column sums to scratch and a second kernel adds the slabs in
//   order. No atomics: the result is the same bits on every run.
// Aliasing (y == x, dz == dy) is safe: each element is read and then written
// by the same thread.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

constexpr int kTileCols = 32;     // threads along columns (one warp)
constexpr int kTileRows = 8;      // threads along rows
constexpr int kRowsPerThread = 16;  // fewer rows per thread than this: fewer slabs
constexpr int64_t kMaxSlabs = 64;

template <Activation kAct>
__global__ void BiasActivationForwardKernel(const float* x, const float* bias, int64_t n, int64_t cols, float* y,
                                            float* pre) {
  for (RowColCursor c(cols); c.i < n; c.Next()) {
    const float v = bias ? x[c.i] + bias[c.j] : x[c.i];
    if (pre) pre[c.i] = v;
    y[c.i] = Activate<kAct>(v);
  }
}

template <Activation kAct>
__global__ void ActivationBackwardKernel(const float* dy, const float* saved, int64_t n, float* dz) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) {
    dz[i] = Differentiate<kAct>(dy[i], kAct == Activation::kNone ? 0.0f : saved[i]);
  }
}

// column_sums is [gridDim.y, cols] when gridDim.y > 1, else unused.
template <Activation kAct>
__global__ void BiasActivationBackwardTilesKernel(const float* dy, const float* saved, int64_t rows, int64_t cols,
                                                  float* dz, float* column_sums, float* dbias, bool accumulate) {
  __shared__ float lane_sums[kTileRows][kTileCols];
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kTileCols + threadIdx.x;
  float sum = 0.0f;
  if (j < cols) {
    const int64_t row_step = static_cast<int64_t>(gridDim.y) * kTileRows;
    for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTileRows + threadIdx.y; r < rows; r += row_step) {
      const int64_t i = r * cols + j;
      const float g = Differentiate<kAct>(dy[i], kAct == Activation::kNone ? 0.0f : saved[i]);
      dz[i] = g;
      sum += g;
    }
  }
  lane_sums[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y != 0 || j >= cols) return;
  float total = 0.0f;
  for (int t = 0; t < kTileRows; ++t) total += lane_sums[t][threadIdx.x];
  if (gridDim.y == 1) {
    dbias[j] = accumulate ? dbias[j] + total : total;
  } else {
    column_sums[blockIdx.y * cols + j] = total;
  }
}

__global__ void SumSlabsKernel(const float* column_sums, int64_t slabs, int64_t cols, float* dbias, bool accumulate) {
  for (int64_t j = GlobalThread(); j < cols; j += ThreadCount()) {
    float total = 0.0f;
    for (int64_t s = 0; s < slabs; ++s) total += column_sums[s * cols + j];
    dbias[j] = accumulate ? dbias[j] + total : total;
  }
}

// Row slabs for the dbias kernel: enough blocks to fill the GPU on tall
// inputs, each thread still summing about kRowsPerThread rows, and the
// column sums fitting the scratch. Depends on the shape only (determinism).
int64_t BiasGradSlabs(int64_t rows, int64_t cols) {
  int64_t slabs = std::clamp<int64_t>(CeilDiv(rows, kTileRows * kRowsPerThread), 1, kMaxSlabs);
  return std::max<int64_t>(1, std::min(slabs, kColumnScratchFloats / cols));
}

}  // namespace

void BiasActivationForward(const float* x, const float* bias, int64_t rows, int64_t cols, Activation act, float* y,
                           float* pre) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  WithActivation(act, [&](auto a) {
    AIF_LAUNCH(BiasActivationForwardKernel<decltype(a)::value>, ElementBlocks(n), kThreads, x, bias, n, cols, y, pre);
  });
}

void BiasActivationBackward(const float* dy, const float* saved, int64_t rows, int64_t cols, Activation act, float* dz,
                            float* dbias, bool accumulate_dbias) {
  if (!dbias) {
    const int64_t n = rows * cols;
    if (n == 0) return;
    WithActivation(act, [&](auto a) {
      AIF_LAUNCH(ActivationBackwardKernel<decltype(a)::value>, ElementBlocks(n), kThreads, dy, saved, n, dz);
    });
    return;
  }
  if (cols == 0) return;
  // rows == 0 still runs: dbias becomes 0 (or stays, when accumulating), as on the CPU.
  const int64_t slabs = BiasGradSlabs(rows, cols);
  float* column_sums = slabs > 1 ? ColumnScratch() : nullptr;
  const dim3 grid(static_cast<unsigned>(CeilDiv(cols, kTileCols)), static_cast<unsigned>(slabs));
  const dim3 block(kTileCols, kTileRows);
  WithActivation(act, [&](auto a) {
    AIF_LAUNCH(BiasActivationBackwardTilesKernel<decltype(a)::value>, grid, block, dy, saved, rows, cols, dz,
               column_sums, dbias, accumulate_dbias);
  });
  if (slabs > 1) AIF_LAUNCH(SumSlabsKernel, ElementBlocks(cols), kThreads, column_sums, slabs, cols, dbias, accumulate_dbias);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
