// PinnedBuffer and UploadStream in a build without CUDA: constructing either
// is the usage error that only --device cuda (refused earlier) could reach.
#include "core/error.h"
#include "tensor/upload_stream.h"

namespace aif {

[[noreturn]] static void NoCuda() {
  ThrowUsage("this aif was built without CUDA; use --device cpu or rebuild with -DAIF_CUDA=ON");
}

PinnedBuffer::PinnedBuffer(size_t bytes) : size_(bytes) {
  if (bytes > 0) NoCuda();
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
UploadStream::UploadStream(int slots) : slots_(slots) { NoCuda(); }
UploadStream::~UploadStream() = default;
void UploadStream::Copy(int, void*, const void*, size_t) { NoCuda(); }
void UploadStream::MarkReady(int) { NoCuda(); }
void UploadStream::WaitCopied(int) { NoCuda(); }
void UploadStream::ComputeWaitsFor(int) { NoCuda(); }
void UploadStream::ReleaseSlot(int) { NoCuda(); }
void UploadStream::Synchronize() { NoCuda(); }

}  // namespace aif
