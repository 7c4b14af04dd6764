// The public losses and metrics: operand checks and dispatch (see ops.cpp).
// Rows are samples; `valid` (u8 [N], undefined = all valid) masks out rows
// that only pad a batch, so a padded last batch gives the same sums as an
// exact one.
#include "kernels/dispatch.h"
#include "kernels/op_check.h"
#include "kernels/ops.h"

namespace aif {
namespace ops {
namespace {

// Checks logits f32 [N, C] with C >= 1 (a row needs a class to pick).
void CheckLogits(const OpCheck& check, const Tensor& logits) {
  check.Type(logits, DType::kF32);
  check.Require(logits.rank() == 2 && logits.dim(1) >= 1, "logits must be [N, C] with C >= 1");
}

// Checks logits, labels i32 [N] and valid u8 [N]; returns N and C.
void CheckClassification(const OpCheck& check, const Tensor& logits, const Tensor& labels, const Tensor& valid,
                         int64_t* rows, int64_t* classes) {
  CheckLogits(check, logits);
  *rows = logits.dim(0);
  *classes = logits.dim(1);
  check.Has(labels, DType::kI32, {*rows});
  check.HasIfDefined(valid, DType::kU8, {*rows});
}

// Checks pred f32 [N] or [N, 1], target f32 with N elements, valid u8 [N]
// and dpred like pred; returns N.
int64_t CheckRegression(const OpCheck& check, const Tensor& pred, const Tensor& target, const Tensor& valid,
                        const Tensor& dpred) {
  check.Type(pred, DType::kF32);
  check.Require(pred.rank() == 1 || (pred.rank() == 2 && pred.dim(1) == 1), "pred must be [N] or [N, 1]");
  const int64_t rows = pred.dim(0);
  check.HasElements(target, DType::kF32, rows);
  check.HasIfDefined(valid, DType::kU8, {rows});
  check.HasShapeOfIfDefined(dpred, DType::kF32, pred);
  return rows;
}

}  // namespace

double SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, const Tensor& valid, float grad_scale,
                           const Tensor& dlogits) {
  OpCheck check("SoftmaxCrossEntropy",
                {{"logits", logits}, {"labels", labels}, {"valid", valid}, {"dlogits", dlogits}});
  int64_t rows, classes;
  CheckClassification(check, logits, labels, valid, &rows, &classes);
  check.HasShapeOfIfDefined(dlogits, DType::kF32, logits);
  return AIF_DISPATCH(check, SoftmaxCrossEntropy, logits.data<float>(), labels.data<int32_t>(),
                      DataOrNull<uint8_t>(valid), rows, classes, grad_scale, DataOrNull<float>(dlogits));
}

double MeanSquaredError(const Tensor& pred, const Tensor& target, const Tensor& valid, float grad_scale,
                        const Tensor& dpred) {
  OpCheck check("MeanSquaredError", {{"pred", pred}, {"target", target}, {"valid", valid}, {"dpred", dpred}});
  const int64_t rows = CheckRegression(check, pred, target, valid, dpred);
  return AIF_DISPATCH(check, MeanSquaredError, pred.data<float>(), target.data<float>(), DataOrNull<uint8_t>(valid),
                      rows, grad_scale, DataOrNull<float>(dpred));
}

int64_t CountCorrect(const Tensor& logits, const Tensor& labels, const Tensor& valid) {
  OpCheck check("CountCorrect", {{"logits", logits}, {"labels", labels}, {"valid", valid}});
  int64_t rows, classes;
  CheckClassification(check, logits, labels, valid, &rows, &classes);
  return AIF_DISPATCH(check, CountCorrect, logits.data<float>(), labels.data<int32_t>(), DataOrNull<uint8_t>(valid),
                      rows, classes);
}

void SoftmaxCrossEntropyInto(const Tensor& logits, const Tensor& labels, const Tensor& valid, float grad_scale,
                             const Tensor& dlogits, const Tensor& loss_sum, bool accumulate) {
  OpCheck check("SoftmaxCrossEntropyInto", {{"logits", logits},
                                            {"labels", labels},
                                            {"valid", valid},
                                            {"dlogits", dlogits},
                                            {"loss_sum", loss_sum}});
  int64_t rows, classes;
  CheckClassification(check, logits, labels, valid, &rows, &classes);
  check.HasShapeOfIfDefined(dlogits, DType::kF32, logits);
  check.HasElements(loss_sum, DType::kF64, 1);
  AIF_DISPATCH(check, SoftmaxCrossEntropyInto, logits.data<float>(), labels.data<int32_t>(),
               DataOrNull<uint8_t>(valid), rows, classes, grad_scale, DataOrNull<float>(dlogits),
               loss_sum.data<double>(), accumulate);
}

void MeanSquaredErrorInto(const Tensor& pred, const Tensor& target, const Tensor& valid, float grad_scale,
                          const Tensor& dpred, const Tensor& loss_sum, bool accumulate) {
  OpCheck check("MeanSquaredErrorInto",
                {{"pred", pred}, {"target", target}, {"valid", valid}, {"dpred", dpred}, {"loss_sum", loss_sum}});
  const int64_t rows = CheckRegression(check, pred, target, valid, dpred);
  check.HasElements(loss_sum, DType::kF64, 1);
  AIF_DISPATCH(check, MeanSquaredErrorInto, pred.data<float>(), target.data<float>(), DataOrNull<uint8_t>(valid),
               rows, grad_scale, DataOrNull<float>(dpred), loss_sum.data<double>(), accumulate);
}

void CountCorrectInto(const Tensor& logits, const Tensor& labels, const Tensor& valid, const Tensor& count,
                      bool accumulate) {
  OpCheck check("CountCorrectInto", {{"logits", logits}, {"labels", labels}, {"valid", valid}, {"count", count}});
  int64_t rows, classes;
  CheckClassification(check, logits, labels, valid, &rows, &classes);
  check.HasElements(count, DType::kF64, 1);
  AIF_DISPATCH(check, CountCorrectInto, logits.data<float>(), labels.data<int32_t>(), DataOrNull<uint8_t>(valid),
               rows, classes, count.data<double>(), accumulate);
}

int64_t CountTopK(const Tensor& logits, const Tensor& labels, const Tensor& valid, int64_t k) {
  OpCheck check("CountTopK", {{"logits", logits}, {"labels", labels}, {"valid", valid}});
  int64_t rows, classes;
  CheckClassification(check, logits, labels, valid, &rows, &classes);
  check.Require(k >= 1, "k must be at least 1");
  return AIF_DISPATCH(check, CountTopK, logits.data<float>(), labels.data<int32_t>(), DataOrNull<uint8_t>(valid), rows,
                      classes, k);
}

void Argmax(const Tensor& logits, const Tensor& out_i32) {
  OpCheck check("Argmax", {{"logits", logits}, {"out", out_i32}});
  CheckLogits(check, logits);
  check.Has(out_i32, DType::kI32, {logits.dim(0)});
  AIF_DISPATCH(check, Argmax, logits.data<float>(), logits.dim(0), logits.dim(1), out_i32.data<int32_t>());
}

void Softmax(const Tensor& logits, const Tensor& probs) {
  OpCheck check("Softmax", {{"logits", logits}, {"probs", probs}});
  CheckLogits(check, logits);
  check.HasShapeOf(probs, DType::kF32, logits);
  AIF_DISPATCH(check, Softmax, logits.data<float>(), logits.dim(0), logits.dim(1), probs.data<float>());
}

}  // namespace ops
}  // namespace aif
