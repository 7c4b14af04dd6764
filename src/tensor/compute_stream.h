// The compute stream: the one CUDA stream on which every op (kernels/cuda/),
// every tensor copy and every reuse of a freed device block
// (caching_allocator.h) is ordered. Work on any other stream (comm/'s NCCL
// stream) is ordered against it with events. Today it is the legacy default
// stream, which also orders tensor/'s synchronous copies (cudaMemcpy); a
// prefetch stream will make it a per-thread setting, here and nowhere else.
// Only .cu files and CUDA-only sources of tensor, kernels and comm include it.
#pragma once

#include <cuda_runtime.h>

namespace aif {

cudaStream_t ComputeStream();

}  // namespace aif
