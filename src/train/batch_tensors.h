// Moves a reader Batch into the tensors a training or inference pass takes:
// features [N, F] f32, labels i32 (classification) or f32 (regression),
// valid u8 and sample ids i64. Buffers are reused across batches.
#pragma once

#include "data/sharded_reader.h"
#include "tensor/tensor.h"

namespace aif {

struct BatchTensors {
  Tensor features, labels, valid, sample_ids;
  void Load(const Batch& batch, Task task, DeviceType device = DeviceType::kCpu);
};

}  // namespace aif
