// The sizes of one convolution or max-pooling call (NCHW), which
// kernels/ops_vision.cpp derives from the checked tensors and hands to either
// backend (kernels/backend_vision_ops.inc). Plain structs of int64_t, so the
// CUDA kernels can take them by value.
#pragma once

#include <cstdint>

namespace aif {
namespace ops {

// x [n, c, h, w], w [k, c, r, s], y [n, k, p, q].
struct ConvGeometry {
  int64_t n, c, h, w;
  int64_t k, r, s;
  int64_t p, q;
  int64_t stride, padding;
};

// planes = n * c; each plane is h x w in, p x q out; square windows of
// `kernel` with `stride`, no padding.
struct PoolGeometry {
  int64_t planes, h, w;
  int64_t p, q;
  int64_t kernel, stride;
};

}  // namespace ops
}  // namespace aif
