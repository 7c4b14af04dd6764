// BatchStager on CUDA: batches staged through pinned buffers and the upload
// stream arrive on the device in order with the bytes the CPU stager holds,
// while the reader's buffer is overwritten at once and compute-stream work
// reads the batch in use (the trainer's pattern: front, push next, pop).
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/ops.h"
#include "train/batch_stager.h"

namespace aif {
namespace {

using gpu_test::GpuTest;
using gpu_test::SameBytes;

Batch Filled(int64_t id, int64_t rows, int64_t features) {
  Batch b;
  b.rows = rows;
  b.num_features = features;
  b.features.resize(rows * features);
  for (int64_t i = 0; i < rows * features; ++i) b.features[i] = static_cast<float>(id) + 1e-3f * static_cast<float>(i);
  for (int64_t r = 0; r < rows; ++r) {
    b.class_labels.push_back(static_cast<int32_t>((id + r) % 10));
    b.sample_ids.push_back(id * rows + r);
    b.valid.push_back(static_cast<uint8_t>(r % 7 != 0));
  }
  b.next = ReaderCursor{0, (id + 1) * rows};
  return b;
}

using GpuBatchStager = GpuTest;

TEST_F(GpuBatchStager, DeliversEveryBatchInOrderWithTheCpuBytes) {
  const int64_t rows = 1000, features = 784;  // ~3 MiB per batch: copies take long enough to overlap
  BatchStager cpu(DeviceType::kCpu, Task::kClassification), gpu(DeviceType::kCuda, Task::kClassification);
  Batch reused = Filled(0, rows, features);
  cpu.Push(reused);
  gpu.Push(reused);
  Tensor sink = Tensor::Empty({rows, features}, DType::kF32, DeviceType::kCuda);
  for (int64_t id = 1; id <= 20; ++id) {
    const BatchStager::Staged& want = cpu.Front();
    const BatchStager::Staged& got = gpu.Front();
    // Compute-stream work on the batch in use while the next one uploads.
    ops::BiasActivationForward(got.tensors.features, Tensor(), ops::Activation::kRelu, sink, Tensor());
    reused = Filled(id, rows, features);
    cpu.Push(reused);
    gpu.Push(reused);
    reused.features.assign(reused.features.size(), -1.0f);  // the reader reuses its buffer at once
    SCOPED_TRACE(id);
    EXPECT_EQ(got.rows, want.rows);
    EXPECT_EQ(got.next, want.next);
    EXPECT_TRUE(SameBytes(got.tensors.features, want.tensors.features));
    EXPECT_TRUE(SameBytes(got.tensors.labels, want.tensors.labels));
    EXPECT_TRUE(SameBytes(got.tensors.valid, want.tensors.valid));
    EXPECT_TRUE(SameBytes(got.tensors.sample_ids, want.tensors.sample_ids));
    cpu.Pop();
    gpu.Pop();
  }
}

}  // namespace
}  // namespace aif
