// PinnedBuffer and UploadStream in a build without CUDA: constructing either
// is the usage error that only --device cuda (refused earlier) could reach.
#include "tensor/device.h"
#include "tensor/upload_stream.h"

namespace aif {

PinnedBuffer::PinnedBuffer(size_t bytes) : size_(bytes) {
  if (bytes > 0) ThrowBuiltWithoutCuda();
}
PinnedBuffer::~PinnedBuffer() = default;
PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  data_ = other.data_;
  size_ = other.size_;
  other.data_ = nullptr;
  other.size_ = 0;
  return *this;
}

struct UploadStream::Impl {};
UploadStream::UploadStream(int slots) : slots_(slots) { ThrowBuiltWithoutCuda(); }
UploadStream::~UploadStream() = default;
void UploadStream::Copy(int, void*, const void*, size_t) { ThrowBuiltWithoutCuda(); }
void UploadStream::MarkReady(int) { ThrowBuiltWithoutCuda(); }
void UploadStream::WaitCopied(int) { ThrowBuiltWithoutCuda(); }
void UploadStream::ComputeWaitsFor(int) { ThrowBuiltWithoutCuda(); }
void UploadStream::ReleaseSlot(int) { ThrowBuiltWithoutCuda(); }
void UploadStream::Synchronize() { ThrowBuiltWithoutCuda(); }

}  // namespace aif
