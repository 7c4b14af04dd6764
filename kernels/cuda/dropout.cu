// Dropout on CUDA, the counterpart of cpu/dropout.cpp: the same mask bit for
// bit, because both call elementwise_math.h's DropoutKeeps (Philox4x32-10 of
// core/rng.h at counter sample_ids[r] * cols + j; pure integer arithmetic)
// and scale kept elements by the same float 1 / (1 - p) computed on the host.
// Forward: element-wise grid-stride loop; a RowColCursor gives each element's
// row (its sample id) and column. The launcher does not wait: a negative
// sample id (an internal error the CPU throws for; the trainer's batches are
// checked on the host before upload) makes the row's outputs NaN and its
// mask 0, so the loss turns NaN and the step fails. Backward: element-wise
// dx = dy * (mask * scale), the CPU's expression.
#include <math_constants.h>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

__global__ void DropoutForwardKernel(const float* x, int64_t n, int64_t cols, float p, float scale, uint64_t seed,
                                     uint64_t stream, const int64_t* sample_ids, float* y, uint8_t* mask) {
  for (RowColCursor c(cols); c.i < n; c.Next()) {
    const int64_t id = sample_ids[c.r];
    if (id < 0) {
      mask[c.i] = 0;
      y[c.i] = CUDART_NAN_F;
      continue;
    }
    const uint64_t index = static_cast<uint64_t>(id) * static_cast<uint64_t>(cols) + static_cast<uint64_t>(c.j);
    const bool keep = DropoutKeeps(seed, stream, index, p);
    mask[c.i] = keep ? 1 : 0;
    const float v = x[c.i];
    y[c.i] = keep ? v * scale : 0.0f;
  }
}

__global__ void DropoutBackwardKernel(const float* dy, const uint8_t* mask, int64_t n, float scale, float* dx) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) dx[i] = dy[i] * (static_cast<float>(mask[i]) * scale);
}

}  // namespace

void DropoutForward(const float* x, int64_t rows, int64_t cols, float p, uint64_t seed, uint64_t stream,
                    const int64_t* sample_ids, float* y, uint8_t* mask) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  if (p == 0.0f) {  // everything is kept, unscaled (as on the CPU, the ids are not read)
    if (y != x) AIF_CUDA_CHECK(cudaMemcpyAsync(y, x, n * sizeof(float), cudaMemcpyDeviceToDevice, CurrentStream()));
    AIF_CUDA_CHECK(cudaMemsetAsync(mask, 1, n, CurrentStream()));
    return;
  }
  const float scale = 1.0f / (1.0f - p);
  AIF_LAUNCH(DropoutForwardKernel, ElementBlocks(n), kThreads, x, n, cols, p, scale, seed, stream, sample_ids, y,
             mask);
}

void DropoutBackward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx) {
  if (n == 0) return;
  const float scale = 1.0f / (1.0f - p);
  AIF_LAUNCH(DropoutBackwardKernel, ElementBlocks(n), kThreads, dy, mask, n, scale, dx);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
