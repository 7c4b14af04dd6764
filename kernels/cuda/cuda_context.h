// What the kernels of kernels/cuda/ share, per host thread and per device,
// created on first use: the stream every op launches on, cuBLAS, cuBLASLt
// and cuDNN handles, small device scratch for reductions, and the cuBLASLt
// and cuDNN workspaces. Per thread, because a reduction's partial sums
// travel back to the host after the kernel and two threads must not share
// them; per device, because handles and memory belong to one. Everything is
// kept until the process ends (three handles, ~36 MiB and the largest cuDNN
// workspace asked for, per thread and device): destroying it from
// thread-exit hooks would race the CUDA runtime's own teardown at exit. Only
// .cu files include this header.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>

#include "tensor/cuda_check.h"

namespace aif {
namespace ops {
namespace cuda {

// The stream ops launch on: tensor's compute stream (tensor/compute_stream.h),
// for now the legacy default stream, which orders kernels after and before
// tensor/'s synchronous copies (cudaMemcpy) and the caching allocator's reuse
// of freed blocks; comm/'s NCCL stream is ordered against it with events.
cudaStream_t CurrentStream();

// This thread's cuBLAS handle for the current device, bound to CurrentStream().
cublasHandle_t CublasHandle();

// This thread's cuBLASLt handle for the current device (cuBLASLt takes the
// stream per call), and its workspace: kCublasLtWorkspaceBytes of device
// memory, enough for the split-K algorithms of large GEMMs.
cublasLtHandle_t CublasLtHandle();
constexpr size_t kCublasLtWorkspaceBytes = size_t{32} << 20;
void* CublasLtWorkspace();

// This thread's cuDNN handle for the current device, bound to CurrentStream().
cudnnHandle_t CudnnHandle();

// This thread's cuDNN workspace on the current device, at least `bytes` long
// (null for 0). It grows when a call needs more and never shrinks, through
// tensor/'s caching allocator (DeviceAlloc): the block it outgrows goes back
// to the allocator's cache, which is safe because cuDNN runs on
// CurrentStream(), the stream that orders the allocator's reuse. Calls that
// fit the current size allocate nothing.
void* CudnnWorkspace(size_t bytes);

// Results a reduction kernel hands back: one partial sum per block, summed on
// the host in block order (deterministic: the grid size depends only on the
// problem size), and a flag for invalid input found on the device (a label
// outside [0, C), a negative sample id): the smallest key a kernel saw,
// kNoFlag if none, written with atomicMin.
constexpr int kMaxPartials = 1024;
constexpr unsigned long long kNoFlag = ~0ull;
struct ReduceSlots {
  unsigned long long flag;
  double partials[kMaxPartials];
};
// This thread's slots on the current device.
ReduceSlots* DeviceReduceSlots();
// Sets the flag to kNoFlag (in stream order, before the kernel that may set it).
void ClearFlag(ReduceSlots* slots);
// Waits for the stream and returns a host copy of the flag and partials[0, blocks).
const ReduceSlots& ReadReduceSlots(const ReduceSlots* slots, int blocks);
// partials[0] + partials[1] + ... in that order, in double.
double SumPartials(const ReduceSlots& slots, int blocks);

// Finishes a reduction without waiting for it: a one-thread kernel adds
// partials[0, blocks) in block order (SumPartials' order, so the same bits)
// and stores the sum in *out (device memory), or adds it to *out when
// `accumulate`; NaN instead of the sum if the reduction raised the flag.
// blocks == 0 stores 0 (or leaves *out alone when accumulating).
void StorePartialsSum(ReduceSlots* slots, int blocks, double* out, bool accumulate);

// Scratch of kColumnScratchFloats floats for two-stage column sums (dbias).
constexpr int64_t kColumnScratchFloats = int64_t{1} << 20;
float* ColumnScratch();

// Throws aif::Error (kInternal) naming the call, file and line if a cuBLAS call failed.
void CublasCheck(cublasStatus_t status, const char* call, const char* file, int line);
#define AIF_CUBLAS_CHECK(call) ::aif::ops::cuda::CublasCheck((call), #call, __FILE__, __LINE__)

// Throws aif::Error (kInternal) naming the call, file and line, cuDNN's status
// and its last error message if a cuDNN call failed.
void CudnnCheck(cudnnStatus_t status, const char* call, const char* file, int line);
#define AIF_CUDNN_CHECK(call) ::aif::ops::cuda::CudnnCheck((call), #call, __FILE__, __LINE__)

// After a kernel launch: throws if the launch failed. With AIF_CUDA_SYNC=1 in
// the environment it also waits for the kernel, so an asynchronous fault is
// blamed on the kernel that caused it (slow; for debugging).
void CheckLaunch(const char* kernel, const char* file, int line);

// Launches kernel<<<grid, block>>>(args...) on CurrentStream() and checks it.
#define AIF_LAUNCH(kernel, grid, block, ...)                                      \
  do {                                                                            \
    kernel<<<(grid), (block), 0, ::aif::ops::cuda::CurrentStream()>>>(__VA_ARGS__); \
    ::aif::ops::cuda::CheckLaunch(#kernel, __FILE__, __LINE__);                   \
  } while (0)

}  // namespace cuda
}  // namespace ops
}  // namespace aif
