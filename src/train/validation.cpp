#include "train/validation.h"

#include "kernels/ops.h"
#include "train/batch_tensors.h"

namespace aif {

SplitMetrics EvaluateSplit(Model& model, ShardedReader& reader, Communicator& comm, Task task, DType gemm_dtype) {
  reader.Seek(ReaderCursor{0, 0});
  BatchTensors t;
  Tensor grad_sink;
  PassContext ctx;
  ctx.training = false;
  ctx.gemm_dtype = gemm_dtype;
  // Loss and correct count accumulate on the model's device and are read
  // once, after the last batch (ops::*Into: no wait per batch).
  Tensor sums = Tensor::Zeros({2}, DType::kF64, model.device());
  Tensor loss_sum = sums.View(0, {1}), correct_count = sums.View(1, {1});
  int64_t samples = 0;
  for (int64_t s = 0; s < reader.batches_per_epoch(); ++s) {
    Batch b = reader.Next();
    t.Load(b, task, model.device());
    Tensor out = model.Forward(t.features, ctx);
    if (!grad_sink.defined() || grad_sink.shape() != out.shape()) grad_sink = Tensor::Empty(out.shape(), DType::kF32, out.device());
    if (task == Task::kClassification) {
      ops::SoftmaxCrossEntropyInto(out, t.labels, t.valid, 0.0f, grad_sink, loss_sum, /*accumulate=*/true);
      ops::CountCorrectInto(out, t.labels, t.valid, correct_count, /*accumulate=*/true);
    } else {
      ops::MeanSquaredErrorInto(out, t.labels, t.valid, 0.0f, grad_sink, loss_sum, /*accumulate=*/true);
    }
    for (uint8_t v : b.valid) samples += v;
    reader.Recycle(std::move(b));
  }
  const Tensor host_sums = sums.To(DeviceType::kCpu);
  const double loss = host_sums.data<double>()[0];
  const int64_t correct = static_cast<int64_t>(host_sums.data<double>()[1]);
  double global_loss = comm.AllReduceScalar(loss, ReduceOp::kSum);
  int64_t global_correct = comm.AllReduceInt(correct, ReduceOp::kSum);
  int64_t global_samples = comm.AllReduceInt(samples, ReduceOp::kSum);
  SplitMetrics m;
  m.samples = global_samples;
  m.loss = global_samples ? global_loss / static_cast<double>(global_samples) : 0;
  if (task == Task::kClassification) {
    m.accuracy = global_samples ? static_cast<double>(global_correct) / static_cast<double>(global_samples) : 0;
  }
  return m;
}

}  // namespace aif
