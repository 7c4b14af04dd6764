#include "train/batch_tensors.h"

#include <cstring>

namespace aif {
namespace {

template <typename T>
void Put(Tensor& dst, const std::vector<T>& src, const Shape& shape, DeviceType device) {
  if (!dst.defined() || dst.shape() != shape || dst.device() != device) dst = Tensor::Empty(shape, DTypeOf<T>(), device);
  if (device == DeviceType::kCpu) {
    std::memcpy(dst.raw(), src.data(), src.size() * sizeof(T));
  } else {
    DeviceCopy(dst.raw(), src.data(), src.size() * sizeof(T), CopyKind::kHostToDevice);
  }
}

}  // namespace

void BatchTensors::Load(const Batch& b, Task task, DeviceType device) {
  Put(features, b.features, {b.rows, b.num_features}, device);
  if (task == Task::kClassification) Put(labels, b.class_labels, {b.rows}, device);
  else Put(labels, b.targets, {b.rows}, device);
  Put(valid, b.valid, {b.rows}, device);
  Put(sample_ids, b.sample_ids, {b.rows}, device);
}

}  // namespace aif
