// BatchStager on the CPU (the trainer's look-ahead of one batch): batches
// come out in the order they went in, each with its own tensors, rows and
// cursor, even though the reader's buffers are recycled at once; a slot is
// reused only after Pop(); over-filling or reading an empty stager is an
// internal error. (On CUDA the same logic runs over pinned buffers and the
// upload stream: tests/gpu/.)
#include <gtest/gtest.h>

#include "kernels_test_util.h"
#include "train/batch_stager.h"

namespace aif {
namespace {

Batch MakeBatch(int64_t id, int64_t rows, int64_t features) {
  Batch b;
  b.rows = rows;
  b.num_features = features;
  for (int64_t i = 0; i < rows * features; ++i) b.features.push_back(static_cast<float>(id * 1000 + i));
  for (int64_t r = 0; r < rows; ++r) {
    b.class_labels.push_back(static_cast<int32_t>((id + r) % 10));
    b.sample_ids.push_back(id * 100 + r);
    b.valid.push_back(r + 1 < rows ? 1 : 0);
  }
  b.next = ReaderCursor{id / 3, id * rows};
  return b;
}

void ExpectHolds(const BatchStager::Staged& s, int64_t id, int64_t rows, int64_t features) {
  SCOPED_TRACE(id);
  ASSERT_EQ(s.rows, rows);
  EXPECT_EQ(s.next, (ReaderCursor{id / 3, id * rows}));
  ASSERT_EQ(s.tensors.features.shape(), (Shape{rows, features}));
  for (int64_t i = 0; i < rows * features; ++i) ASSERT_EQ(s.tensors.features.data<float>()[i], id * 1000 + i);
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_EQ(s.tensors.labels.data<int32_t>()[r], (id + r) % 10);
    EXPECT_EQ(s.tensors.sample_ids.data<int64_t>()[r], id * 100 + r);
    EXPECT_EQ(s.tensors.valid.data<uint8_t>()[r], r + 1 < rows ? 1 : 0);
  }
}

TEST(BatchStager, StagesOneBatchAheadInOrder) {
  BatchStager stager(DeviceType::kCpu, Task::kClassification);
  Batch reused;  // one reader buffer, overwritten for every batch, as after Recycle()
  reused = MakeBatch(0, 4, 3);
  stager.Push(reused);
  for (int64_t id = 1; id < 7; ++id) {
    // The trainer's order: take the front, stage the next, then pop the front.
    const BatchStager::Staged& front = stager.Front();
    reused = MakeBatch(id, 4, 3);
    stager.Push(reused);
    EXPECT_EQ(stager.staged(), 2);
    ExpectHolds(front, id - 1, 4, 3);  // still intact while the next one is staged
    stager.Pop();
    ExpectHolds(stager.Front(), id, 4, 3);
  }
  // A batch of another size (a last, smaller batch) gets tensors of its size.
  stager.Pop();
  stager.Push(MakeBatch(9, 2, 3));
  ExpectHolds(stager.Front(), 9, 2, 3);
}

TEST(BatchStager, RegressionTargetsBecomeF32Labels) {
  BatchStager stager(DeviceType::kCpu, Task::kRegression);
  Batch b = MakeBatch(1, 3, 2);
  b.targets = {0.5f, -1.0f, 2.0f};
  stager.Push(b);
  const Tensor& labels = stager.Front().tensors.labels;
  ASSERT_EQ(labels.dtype(), DType::kF32);
  EXPECT_EQ(labels.data<float>()[1], -1.0f);
}

TEST(BatchStager, MisuseIsAnInternalError) {
  BatchStager stager(DeviceType::kCpu, Task::kClassification);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { stager.Front(); }, ErrorKind::kInternal, {"nothing staged"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { stager.Pop(); }, ErrorKind::kInternal, {"nothing staged"}));
  stager.Push(MakeBatch(0, 2, 2));
  stager.Push(MakeBatch(1, 2, 2));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { stager.Push(MakeBatch(2, 2, 2)); }, ErrorKind::kInternal,
                                       {"every slot in use"}));
}

}  // namespace
}  // namespace aif
