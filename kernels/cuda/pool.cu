// Max pooling on CUDA, the counterpart of cpu/pool.cpp, as custom kernels:
// cuDNN's pooling returns no argmax and leaves ties unspecified, while the
// CPU's contract (kernels/ops.h) names the winner of every window.
// - Forward: one thread per output (a grid-stride walk over the flat output;
//   consecutive threads take consecutive outputs of a row, so their windows'
//   reads are close together). Each scans its window with the CPU's own
//   function (MaxOfWindow, elementwise_math.h: row by row, strictly greater
//   or NaN over a number), so values and argmax are the CPU's bits, ties and
//   NaN included.
// - Backward: a gather, not a scatter. One thread per input element visits
//   the outputs whose windows cover it, in increasing output order, and adds
//   the dy of those whose argmax is this element, starting from 0: the very
//   additions, in the very order, of the CPU's zero-fill and scatter-add. So
//   dx is the CPU's bits even where windows overlap (stride < kernel), with
//   no atomics and the same bits on every run; each element is written once.
//   An argmax outside its window (only a corrupt one) is never matched and
//   adds nothing; nothing is written out of bounds (the CPU throws instead).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

__global__ void MaxPoolForwardKernel(PoolGeometry g, const float* x, float* y, int32_t* argmax) {
  const int64_t outputs = g.planes * g.p * g.q;
  for (RowColCursor c(g.q); c.i < outputs; c.Next()) {  // row c.r = plane * p + output row
    const int64_t plane = c.r / g.p, p = c.r - plane * g.p;
    const float* xp = x + plane * g.h * g.w;
    int64_t best_index = 0;
    y[c.i] = MaxOfWindow(xp, g.w, p * g.stride, c.j * g.stride, g.kernel, &best_index);
    argmax[c.i] = static_cast<int32_t>(best_index);
  }
}

// The windows along one axis that cover input position `at`: those o in
// [*lo, *hi] with o * stride <= at <= o * stride + kernel - 1 and o < out;
// empty (*lo > *hi) past the last window.
__device__ __forceinline__ void CoveringWindows(int64_t at, int64_t kernel, int64_t stride, int64_t out, int64_t* lo,
                                                int64_t* hi) {
  *lo = at < kernel ? 0 : (at - kernel) / stride + 1;
  const int64_t last = at / stride;
  *hi = last < out ? last : out - 1;
}

__global__ void MaxPoolBackwardKernel(PoolGeometry g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t inputs = g.planes * g.h * g.w;
  for (RowColCursor c(g.w); c.i < inputs; c.Next()) {  // row c.r = plane * h + input row
    const int64_t plane = c.r / g.h, h = c.r - plane * g.h;
    const int32_t self = static_cast<int32_t>(h * g.w + c.j);  // ops_vision.cpp checked h * w <= INT32_MAX
    int64_t p_lo, p_hi, q_lo, q_hi;
    CoveringWindows(h, g.kernel, g.stride, g.p, &p_lo, &p_hi);
    CoveringWindows(c.j, g.kernel, g.stride, g.q, &q_lo, &q_hi);
    const int64_t out_plane = plane * g.p * g.q;
    float sum = 0.0f;
    for (int64_t p = p_lo; p <= p_hi; ++p) {
      for (int64_t q = q_lo; q <= q_hi; ++q) {
        const int64_t o = out_plane + p * g.q + q;
        if (argmax[o] == self) sum += dy[o];
      }
    }
    dx[c.i] = sum;
  }
}

}  // namespace

void MaxPool2dForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t outputs = g.planes * g.p * g.q;
  if (outputs == 0) return;
  AIF_LAUNCH(MaxPoolForwardKernel, ElementBlocks(outputs), kThreads, g, x, y, argmax);
}

void MaxPool2dBackward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t inputs = g.planes * g.h * g.w;
  if (inputs == 0) return;
  AIF_LAUNCH(MaxPoolBackwardKernel, ElementBlocks(inputs), kThreads, g, dy, argmax, dx);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
