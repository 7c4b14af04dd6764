#include "train/batch_stager.h"

#include <cstring>

#include "core/error.h"

namespace aif {
namespace {

constexpr size_t kAlign = 256;  // every array of a pinned slot starts on a 256-byte boundary
size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// One array of a batch: its host bytes and the device tensor it goes to.
struct Part {
  const void* src;
  size_t bytes;
  Tensor* dst;
};

// Returns `buffer` as a device tensor of `shape`, reallocating it if needed.
Tensor& EnsureDevice(Tensor& buffer, const Shape& shape, DType dtype) {
  if (!buffer.defined() || buffer.shape() != shape || buffer.dtype() != dtype) {
    buffer = Tensor::Empty(shape, dtype, DeviceType::kCuda);
  }
  return buffer;
}

}  // namespace

BatchStager::BatchStager(DeviceType device, Task task) : device_(device), task_(task) {
  if (device_ == DeviceType::kCuda) upload_.reset(new UploadStream(kSlots));
}

BatchStager::~BatchStager() = default;

void BatchStager::Push(const Batch& batch) {
  AIF_CHECK(count_ < kSlots, "BatchStager::Push with every slot in use");
  // The device ops do not wait to check their inputs (kernels/ops.h): the
  // sample ids are checked here, on the host.
  for (int64_t id : batch.sample_ids) AIF_CHECK(id >= 0, "BatchStager::Push: a negative sample id");
  const int slot = (first_ + count_) % kSlots;
  Staged& s = slots_[slot].staged;
  if (device_ == DeviceType::kCpu) {
    s.tensors.Load(batch, task_, DeviceType::kCpu);
  } else {
    Upload(batch, slot);
  }
  s.rows = batch.rows;
  s.next = batch.next;
  ++count_;
}

void BatchStager::Upload(const Batch& b, int slot) {
  BatchTensors& t = slots_[slot].staged.tensors;
  const bool classification = task_ == Task::kClassification;
  // Shapes change only when the batch size does (never within a run, in
  // practice): wait for all device work before dropping tensors it may use.
  const bool reshape = !t.features.defined() || t.features.shape() != Shape{b.rows, b.num_features};
  if (reshape && t.features.defined()) DeviceSynchronize();
  EnsureDevice(t.features, {b.rows, b.num_features}, DType::kF32);
  EnsureDevice(t.labels, {b.rows}, classification ? DType::kI32 : DType::kF32);
  EnsureDevice(t.valid, {b.rows}, DType::kU8);
  EnsureDevice(t.sample_ids, {b.rows}, DType::kI64);
  // New tensors may be cached blocks whose last compute-stream use is still
  // queued: the copies (ordered only by the slot's release) must start
  // after it. Only then: otherwise they would wait for the forward pass.
  if (reshape) upload_->ReleaseSlot(slot);

  const Part parts[] = {
      {b.sample_ids.data(), b.sample_ids.size() * sizeof(int64_t), &t.sample_ids},
      {b.features.data(), b.features.size() * sizeof(float), &t.features},
      {classification ? static_cast<const void*>(b.class_labels.data()) : static_cast<const void*>(b.targets.data()),
       static_cast<size_t>(b.rows) * 4, &t.labels},
      {b.valid.data(), b.valid.size(), &t.valid}};
  size_t total = 0;
  for (const Part& p : parts) total += AlignUp(p.bytes);
  PinnedBuffer& pinned = slots_[slot].pinned;
  upload_->WaitCopied(slot);  // the copy from this buffer two pushes ago
  if (pinned.size() < total) {
    upload_->Synchronize();
    pinned = PinnedBuffer(total);
  }
  char* host = static_cast<char*>(pinned.data());
  size_t offset = 0;
  for (const Part& p : parts) {
    if (p.bytes > 0) std::memcpy(host + offset, p.src, p.bytes);
    upload_->Copy(slot, p.dst->raw(), host + offset, p.bytes);
    offset += AlignUp(p.bytes);
  }
  upload_->MarkReady(slot);
}

const BatchStager::Staged& BatchStager::Front() {
  AIF_CHECK(count_ > 0, "BatchStager::Front with nothing staged");
  if (upload_) upload_->ComputeWaitsFor(first_);
  return slots_[first_].staged;
}

void BatchStager::Pop() {
  AIF_CHECK(count_ > 0, "BatchStager::Pop with nothing staged");
  if (upload_) upload_->ReleaseSlot(first_);
  first_ = (first_ + 1) % kSlots;
  --count_;
}

}  // namespace aif
