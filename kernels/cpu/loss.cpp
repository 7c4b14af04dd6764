// Losses and classification metrics over rows of logits. Softmax subtracts
// the row maximum before exp, so large logits cannot overflow; the row's
// log-sum-exp is computed in float and the losses of rows are summed in
// double, so a large batch loses no precision. The fused cross-entropy
// stores exp(x - max) in dlogits on the way and rescales it in place, which
// is what lets dlogits alias logits. Ties in argmax and top-k go to the lower
// class index, so CountTopK(k = 1) == CountCorrect.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {
namespace {

bool IsValid(const uint8_t* valid, int64_t r) { return !valid || valid[r] != 0; }

float RowMax(const float* x, int64_t classes) {
  float m = x[0];
  for (int64_t j = 1; j < classes; ++j) m = std::max(m, x[j]);
  return m;
}

int32_t RowArgmax(const float* x, int64_t classes) {
  int32_t best = 0;
  for (int64_t j = 1; j < classes; ++j) {
    if (x[j] > x[best]) best = static_cast<int32_t>(j);
  }
  return best;
}

// out[j] = exp(x[j] - max); returns their sum. out may alias x.
float ExpShifted(const float* x, int64_t classes, float max, float* out) {
  float sum = 0.0f;
  for (int64_t j = 0; j < classes; ++j) {
    out[j] = std::exp(x[j] - max);
    sum += out[j];
  }
  return sum;
}

void CheckLabel(const char* op, int32_t label, int64_t row, int64_t classes) {
  if (label < 0 || label >= classes) {
    ThrowInternal("op %s: label %d of row %lld outside [0, %lld)", op, label, static_cast<long long>(row),
                  static_cast<long long>(classes));
  }
}

}  // namespace

double SoftmaxCrossEntropy(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                           int64_t classes, float grad_scale, float* dlogits) {
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * classes;
    float* d = dlogits ? dlogits + r * classes : nullptr;
    if (!IsValid(valid, r)) {
      if (d) std::fill(d, d + classes, 0.0f);
      continue;
    }
    const int32_t label = labels[r];
    CheckLabel("SoftmaxCrossEntropy", label, r, classes);
    const float max = RowMax(x, classes);
    const float label_shifted = x[label] - max;  // read before d (maybe x) is overwritten
    float sum;
    if (d) {
      sum = ExpShifted(x, classes, max, d);
    } else {
      sum = 0.0f;
      for (int64_t j = 0; j < classes; ++j) sum += std::exp(x[j] - max);
    }
    total += static_cast<double>(std::log(sum) - label_shifted);
    if (!d) continue;
    const float factor = grad_scale / sum;
    for (int64_t j = 0; j < classes; ++j) d[j] *= factor;
    d[label] -= grad_scale;
  }
  return total;
}

double MeanSquaredError(const float* pred, const float* target, const uint8_t* valid, int64_t rows, float grad_scale,
                        float* dpred) {
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    total += SquaredErrorRow(pred[r], target[r], IsValid(valid, r), grad_scale, dpred ? dpred + r : nullptr);
  }
  return total;
}

int64_t CountCorrect(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes) {
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (IsValid(valid, r) && RowArgmax(logits + r * classes, classes) == labels[r]) ++correct;
  }
  return correct;
}

int64_t CountTopK(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes,
                  int64_t k) {
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t label = labels[r];
    if (!IsValid(valid, r) || label < 0 || label >= classes) continue;
    const float* x = logits + r * classes;
    const float target = x[label];
    // The label's rank: classes that beat it, or tie with it at a lower index.
    int64_t ahead = 0;
    for (int64_t j = 0; j < classes; ++j) ahead += (x[j] > target) || (x[j] == target && j < label);
    if (ahead < k) ++hits;
  }
  return hits;
}

// The device-scalar forms: on the CPU the "device" is host memory, so they
// are the returning ops plus a store.
void SoftmaxCrossEntropyInto(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                             int64_t classes, float grad_scale, float* dlogits, double* loss_sum, bool accumulate) {
  const double loss = SoftmaxCrossEntropy(logits, labels, valid, rows, classes, grad_scale, dlogits);
  *loss_sum = accumulate ? *loss_sum + loss : loss;
}

void MeanSquaredErrorInto(const float* pred, const float* target, const uint8_t* valid, int64_t rows,
                          float grad_scale, float* dpred, double* loss_sum, bool accumulate) {
  const double loss = MeanSquaredError(pred, target, valid, rows, grad_scale, dpred);
  *loss_sum = accumulate ? *loss_sum + loss : loss;
}

void CountCorrectInto(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                      int64_t classes, double* count, bool accumulate) {
  const double correct = static_cast<double>(CountCorrect(logits, labels, valid, rows, classes));
  *count = accumulate ? *count + correct : correct;
}

void Argmax(const float* logits, int64_t rows, int64_t classes, int32_t* out) {
  for (int64_t r = 0; r < rows; ++r) out[r] = RowArgmax(logits + r * classes, classes);
}

void Softmax(const float* logits, int64_t rows, int64_t classes, float* probs) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * classes;
    float* out = probs + r * classes;
    const float inverse = 1.0f / ExpShifted(x, classes, RowMax(x, classes), out);
    for (int64_t j = 0; j < classes; ++j) out[j] *= inverse;
  }
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
