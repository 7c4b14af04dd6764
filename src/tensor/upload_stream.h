// Host-to-device copies that overlap computation. A DMA engine reads
// page-locked (pinned) host memory directly, so a copy from a PinnedBuffer
// issued on the UploadStream returns at once and runs while the compute
// stream (compute_stream.h) executes kernels; from pageable memory the
// driver would stage it through a bounce buffer and block the host.
//
// The stream is non-blocking (no implicit ordering with the legacy default
// stream, which the compute stream is today) and is ordered against the
// compute stream with events, per slot: slot s's copies wait until the
// compute stream has passed ReleaseSlot(s) (the kernels that read the slot's
// previous contents are done), and the compute stream waits for
// MarkReady(s) before the first kernel that reads them. The host never
// waits on either, except in Synchronize().
//
// In a build without CUDA every constructor throws the usage error that
// only --device cuda could provoke (refused earlier).
#pragma once

#include <cstddef>
#include <memory>

namespace aif {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes);  // cudaHostAlloc
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

class UploadStream {
 public:
  explicit UploadStream(int slots);  // on the current device
  ~UploadStream();
  UploadStream(const UploadStream&) = delete;
  UploadStream& operator=(const UploadStream&) = delete;

  // Queues a copy of `bytes` from pinned host memory to device memory for
  // `slot`; it starts once the compute stream has passed the slot's last
  // ReleaseSlot(). The host buffer must stay untouched until WaitCopied(slot)
  // (after the MarkReady that follows) or Synchronize().
  void Copy(int slot, void* device_dst, const void* pinned_src, size_t bytes);
  // Marks the end of the slot's copies queued so far.
  void MarkReady(int slot);
  // Waits on the host for the slot's last MarkReady: its pinned source
  // buffers may then be rewritten.
  void WaitCopied(int slot);
  // Makes the compute stream wait (on the device) for the slot's MarkReady.
  void ComputeWaitsFor(int slot);
  // Marks the point on the compute stream after which the slot may be overwritten.
  void ReleaseSlot(int slot);
  // Waits on the host for every copy queued so far (before freeing or
  // resizing buffers that copies may still read or write).
  void Synchronize();

 private:
  struct Impl;
  int slots_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aif
