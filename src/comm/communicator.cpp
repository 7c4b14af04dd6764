// The scalar conveniences of Communicator, built on AllReduce so that every
// backend gets them for free. Tensors have no f64, so AllReduceScalar carries
// its value as f32 (about 7 significant digits): fine for a mean loss or a
// learning-rate check, not for counts, which belong in AllReduceInt (i64).
#include "comm/communicator.h"

namespace aif {

double Communicator::AllReduceScalar(double value, ReduceOp op) {
  Tensor t = Tensor::FromVector({1}, {static_cast<float>(value)});
  AllReduce(t, op);
  return t.data<float>()[0];
}

int64_t Communicator::AllReduceInt(int64_t value, ReduceOp op) {
  Tensor t = Tensor::Empty({1}, DType::kI64);
  t.data<int64_t>()[0] = value;
  AllReduce(t, op);
  return t.data<int64_t>()[0];
}

}  // namespace aif
