// Implements cuda_context.h: lazily created per-thread, per-device state.
#include "kernels/cuda/cuda_context.h"

#include <math_constants.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "tensor/compute_stream.h"
#include "tensor/tensor.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

struct DeviceState {
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasLtHandle_t cublas_lt = nullptr;
  void* cublas_lt_workspace = nullptr;  // kCublasLtWorkspaceBytes, from DeviceAlloc
  void* cudnn_workspace = nullptr;      // from DeviceAlloc
  size_t cudnn_workspace_bytes = 0;
  ReduceSlots* slots = nullptr;       // device
  ReduceSlots* host_slots = nullptr;  // pinned host memory, the copy's target
  float* column_scratch = nullptr;
};

// Indexed by device ordinal. The vector is freed at thread exit; what its
// entries point to is not (see the header).
thread_local std::vector<DeviceState> t_devices;

DeviceState& CurrentDeviceState() {
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  if (static_cast<size_t>(device) >= t_devices.size()) t_devices.resize(device + 1);
  return t_devices[device];
}

bool SyncAfterLaunch() {
  static const bool sync = [] {
    const char* value = std::getenv("AIF_CUDA_SYNC");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  return sync;
}

}  // namespace

cudaStream_t CurrentStream() { return ComputeStream(); }

cublasHandle_t CublasHandle() {
  DeviceState& state = CurrentDeviceState();
  if (!state.cublas) {
    AIF_CUBLAS_CHECK(cublasCreate(&state.cublas));
    // Plain FP32 (no TF32 tensor cores): results stay within float rounding of the CPU's.
    AIF_CUBLAS_CHECK(cublasSetMathMode(state.cublas, CUBLAS_DEFAULT_MATH));
  }
  AIF_CUBLAS_CHECK(cublasSetStream(state.cublas, CurrentStream()));
  return state.cublas;
}

cublasLtHandle_t CublasLtHandle() {
  DeviceState& state = CurrentDeviceState();
  if (!state.cublas_lt) AIF_CUBLAS_CHECK(cublasLtCreate(&state.cublas_lt));
  return state.cublas_lt;
}

void* CublasLtWorkspace() {
  DeviceState& state = CurrentDeviceState();
  if (!state.cublas_lt_workspace) state.cublas_lt_workspace = DeviceAlloc(kCublasLtWorkspaceBytes);
  return state.cublas_lt_workspace;
}

cudnnHandle_t CudnnHandle() {
  DeviceState& state = CurrentDeviceState();
  if (!state.cudnn) AIF_CUDNN_CHECK(cudnnCreate(&state.cudnn));
  AIF_CUDNN_CHECK(cudnnSetStream(state.cudnn, CurrentStream()));
  return state.cudnn;
}

void* CudnnWorkspace(size_t bytes) {
  DeviceState& state = CurrentDeviceState();
  if (bytes > state.cudnn_workspace_bytes) {
    DeviceFree(state.cudnn_workspace);  // to the cache; the work queued on it runs first (stream order)
    state.cudnn_workspace = nullptr;
    state.cudnn_workspace_bytes = 0;
    state.cudnn_workspace = DeviceAlloc(bytes);
    state.cudnn_workspace_bytes = bytes;
  }
  return state.cudnn_workspace;
}

ReduceSlots* DeviceReduceSlots() {
  DeviceState& state = CurrentDeviceState();
  if (!state.slots) {
    AIF_CUDA_CHECK(cudaMalloc(&state.slots, sizeof(ReduceSlots)));
    AIF_CUDA_CHECK(cudaMallocHost(&state.host_slots, sizeof(ReduceSlots)));
  }
  return state.slots;
}

void ClearFlag(ReduceSlots* slots) {
  AIF_CUDA_CHECK(cudaMemsetAsync(&slots->flag, 0xFF, sizeof(slots->flag), CurrentStream()));
}

const ReduceSlots& ReadReduceSlots(const ReduceSlots* slots, int blocks) {
  AIF_CHECK(blocks >= 0 && blocks <= kMaxPartials, "ReadReduceSlots: block count out of range");
  ReduceSlots* host = CurrentDeviceState().host_slots;
  AIF_CHECK(host, "ReadReduceSlots before DeviceReduceSlots");
  const size_t bytes = offsetof(ReduceSlots, partials) + static_cast<size_t>(blocks) * sizeof(double);
  AIF_CUDA_CHECK(cudaMemcpyAsync(host, slots, bytes, cudaMemcpyDeviceToHost, CurrentStream()));
  AIF_CUDA_CHECK(cudaStreamSynchronize(CurrentStream()));
  return *host;
}

double SumPartials(const ReduceSlots& slots, int blocks) {
  double sum = 0.0;
  for (int b = 0; b < blocks; ++b) sum += slots.partials[b];
  return sum;
}

namespace {
__global__ void StorePartialsSumKernel(const ReduceSlots* slots, int blocks, double* out, bool accumulate) {
  double sum = 0.0;
  for (int b = 0; b < blocks; ++b) sum += slots->partials[b];
  if (slots->flag != kNoFlag) sum = CUDART_NAN;
  *out = accumulate ? *out + sum : sum;
}
}  // namespace

void StorePartialsSum(ReduceSlots* slots, int blocks, double* out, bool accumulate) {
  AIF_CHECK(blocks >= 0 && blocks <= kMaxPartials, "StorePartialsSum: block count out of range");
  if (blocks == 0) {
    if (!accumulate) AIF_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(double), CurrentStream()));
    return;
  }
  AIF_LAUNCH(StorePartialsSumKernel, 1, 1, slots, blocks, out, accumulate);
}

float* ColumnScratch() {
  DeviceState& state = CurrentDeviceState();
  if (!state.column_scratch) {
    AIF_CUDA_CHECK(cudaMalloc(&state.column_scratch, kColumnScratchFloats * sizeof(float)));
  }
  return state.column_scratch;
}

void CublasCheck(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  ThrowInternal("%s:%d: %s failed: %s (%s)", file, line, call, cublasGetStatusString(status),
                cublasGetStatusName(status));
}

void CudnnCheck(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  char detail[512] = "";
  cudnnGetLastErrorString(detail, sizeof(detail));
  ThrowInternal("%s:%d: %s failed: %s%s%s", file, line, call, cudnnGetErrorString(status), *detail ? ": " : "",
                detail);
}

void CheckLaunch(const char* kernel, const char* file, int line) {
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess && SyncAfterLaunch()) err = cudaStreamSynchronize(CurrentStream());
  if (err == cudaSuccess) return;
  cudaGetLastError();
  ThrowInternal("%s:%d: kernel %s failed: %s (%s)", file, line, kernel, cudaGetErrorString(err),
                cudaGetErrorName(err));
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
