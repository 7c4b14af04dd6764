// Moves reader batches to the training device one batch ahead of their use,
// so that on a GPU the next batch's host-to-device copy runs while the
// current step computes. Push() copies a reader Batch into a slot (the
// caller may recycle the Batch at once); Front() is the oldest staged batch,
// ready for ops on the compute stream; Pop() hands its slot back.
//
// On the CPU a slot is BatchTensors filled at Push(). On CUDA a slot is a
// pinned host buffer and device tensors: Push() packs the batch into the
// pinned buffer and queues its copy on the UploadStream
// (tensor/upload_stream.h), which starts when the compute stream has
// finished with the slot's previous batch; Front() makes the compute stream
// wait for the copy. Neither blocks the host on the device, except to reuse
// a pinned buffer whose copy from two pushes ago is still running (rare:
// the step between has waited for its loss).
#pragma once

#include <cstdint>
#include <memory>

#include "data/sharded_reader.h"
#include "tensor/upload_stream.h"
#include "train/batch_tensors.h"

namespace aif {

class BatchStager {
 public:
  static constexpr int kSlots = 2;  // the batch in use and the next one

  struct Staged {
    BatchTensors tensors;
    int64_t rows = 0;
    ReaderCursor next;  // the reader's cursor after this batch
  };

  BatchStager(DeviceType device, Task task);
  ~BatchStager();

  int staged() const { return count_; }
  // Stages a copy of `batch`; at most kSlots batches are staged at a time.
  void Push(const Batch& batch);
  const Staged& Front();
  void Pop();

 private:
  struct Slot {
    Staged staged;
    PinnedBuffer pinned;  // CUDA only
  };
  void Upload(const Batch& batch, int slot);

  DeviceType device_;
  Task task_;
  Slot slots_[kSlots];
  int first_ = 0, count_ = 0;
  std::unique_ptr<UploadStream> upload_;  // CUDA only
};

}  // namespace aif
