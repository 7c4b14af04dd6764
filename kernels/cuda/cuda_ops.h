// The CUDA backend of kernels/ops.h, private to kernels/: the ops of
// kernels/backend_ops.inc and kernels/backend_vision_ops.inc, with the CPU
// backend's signatures and semantics but device pointers. Built only with
// AIF_WITH_CUDA. Kernels run in order on CurrentStream() (cuda_context.h);
// ops that return a value (losses, counts, SquaredNorm) wait for their
// result, the others return at once. Scratch is the backend's own
// per-thread, per-device buffers (cuda_context.h: reduction slots, cuDNN's
// workspace), never the caller's tensors. This header includes no CUDA
// header, so the host-compiled ops*.cpp can use it.
#pragma once

#include <cstdint>

#include "kernels/ops.h"
#include "kernels/vision_geometry.h"

namespace aif {
namespace ops {
namespace cuda {

#include "kernels/backend_ops.inc"

// Convolution through cuDNN (conv.cu; the workspace argument is unused, pass
// null) and max pooling as custom kernels (pool.cu).
#include "kernels/backend_vision_ops.inc"

}  // namespace cuda
}  // namespace ops
}  // namespace aif
