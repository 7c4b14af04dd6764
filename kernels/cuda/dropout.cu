// Dropout on CUDA, the counterpart of cpu/dropout.cpp: the same mask bit for
// bit, because both call elementwise_math.h's DropoutKeeps (Philox4x32-10 of
// core/rng.h at counter sample_ids[r] * cols + j; pure integer arithmetic)
// and scale kept elements by the same float 1 / (1 - p) computed on the host.
// Forward: element-wise grid-stride loop; a RowColCursor gives each element's
// row (its sample id) and column. A negative sample id, an internal error on
// the CPU, is flagged by the kernel (atomicMin of the row) and thrown by the
// launcher, which therefore waits for the kernel (a sync per call; it goes
// when the ids are validated where they are made). Backward: element-wise
// dx = dy * (mask * scale), the CPU's expression.
#include "core/error.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

__global__ void DropoutForwardKernel(const float* x, int64_t n, int64_t cols, float p, float scale, uint64_t seed,
                                     uint64_t stream, const int64_t* sample_ids, float* y, uint8_t* mask,
                                     ReduceSlots* slots) {
  for (RowColCursor c(cols); c.i < n; c.Next()) {
    const int64_t id = sample_ids[c.r];
    if (id < 0) {
      atomicMin(&slots->flag, static_cast<unsigned long long>(c.r));
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
  ReduceSlots* slots = DeviceReduceSlots();
  ClearFlag(slots);
  AIF_LAUNCH(DropoutForwardKernel, ElementBlocks(n), kThreads, x, n, cols, p, scale, seed, stream, sample_ids, y, mask,
             slots);
  const unsigned long long bad_row = ReadReduceSlots(slots, 0).flag;
  if (bad_row == kNoFlag) return;
  int64_t id = 0;
  AIF_CUDA_CHECK(cudaMemcpy(&id, sample_ids + bad_row, sizeof(id), cudaMemcpyDeviceToHost));
  ThrowInternal("op DropoutForward: sample id %lld of row %lld is negative", static_cast<long long>(id),
                static_cast<long long>(bad_row));
}

void DropoutBackward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx) {
  if (n == 0) return;
  const float scale = 1.0f / (1.0f - p);
  AIF_LAUNCH(DropoutBackwardKernel, ElementBlocks(n), kThreads, dy, mask, n, scale, dx);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
