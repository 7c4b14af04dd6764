// UploadStream and PinnedBuffer on the CUDA runtime (upload_stream.h). Events
// are created with cudaEventDisableTiming: they only order work, and timing
// events cost a device timestamp each.
#include <cuda_runtime.h>

#include <utility>
#include <vector>

#include "tensor/compute_stream.h"
#include "tensor/cuda_check.h"
#include "tensor/upload_stream.h"

namespace aif {

PinnedBuffer::PinnedBuffer(size_t bytes) : size_(bytes) {
  if (bytes > 0) AIF_CUDA_CHECK(cudaHostAlloc(&data_, bytes, cudaHostAllocDefault));
}

PinnedBuffer::~PinnedBuffer() {
  if (data_ && cudaFreeHost(data_) != cudaSuccess) cudaGetLastError();  // never throw from a destructor
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    PinnedBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

struct UploadStream::Impl {
  cudaStream_t stream = nullptr;
  std::vector<cudaEvent_t> ready, released;
};

UploadStream::UploadStream(int slots) : slots_(slots), impl_(new Impl) {
  AIF_CUDA_CHECK(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking));
  impl_->ready.resize(slots);
  impl_->released.resize(slots);
  for (int s = 0; s < slots; ++s) {
    AIF_CUDA_CHECK(cudaEventCreateWithFlags(&impl_->ready[s], cudaEventDisableTiming));
    AIF_CUDA_CHECK(cudaEventCreateWithFlags(&impl_->released[s], cudaEventDisableTiming));
  }
}

UploadStream::~UploadStream() {
  // Copies still queued read pinned buffers their owner is about to free.
  if (cudaStreamSynchronize(impl_->stream) != cudaSuccess) cudaGetLastError();
  for (int s = 0; s < slots_; ++s) {
    cudaEventDestroy(impl_->ready[s]);
    cudaEventDestroy(impl_->released[s]);
  }
  cudaStreamDestroy(impl_->stream);
}

void UploadStream::Copy(int slot, void* device_dst, const void* pinned_src, size_t bytes) {
  // Waiting for an event never recorded is a no-op (CUDA's rule): a slot's
  // first copies start at once.
  AIF_CUDA_CHECK(cudaStreamWaitEvent(impl_->stream, impl_->released[slot], 0));
  if (bytes > 0) {
    AIF_CUDA_CHECK(cudaMemcpyAsync(device_dst, pinned_src, bytes, cudaMemcpyHostToDevice, impl_->stream));
  }
}

void UploadStream::MarkReady(int slot) { AIF_CUDA_CHECK(cudaEventRecord(impl_->ready[slot], impl_->stream)); }

void UploadStream::WaitCopied(int slot) { AIF_CUDA_CHECK(cudaEventSynchronize(impl_->ready[slot])); }

void UploadStream::ComputeWaitsFor(int slot) {
  AIF_CUDA_CHECK(cudaStreamWaitEvent(ComputeStream(), impl_->ready[slot], 0));
}

void UploadStream::ReleaseSlot(int slot) {
  AIF_CUDA_CHECK(cudaEventRecord(impl_->released[slot], ComputeStream()));
}

void UploadStream::Synchronize() { AIF_CUDA_CHECK(cudaStreamSynchronize(impl_->stream)); }

}  // namespace aif
