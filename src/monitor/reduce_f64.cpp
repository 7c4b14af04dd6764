#include "monitor/reduce_f64.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace aif {

void AllReduceDoubles(Communicator& comm, std::vector<double>* values, ReduceOp op) {
  AIF_CHECK(op != ReduceOp::kAverage, "AllReduceDoubles has no average");
  const int64_t n = static_cast<int64_t>(values->size());
  if (comm.size() == 1 || n == 0) return;
  static_assert(sizeof(double) == sizeof(int64_t), "doubles travel as i64 bit patterns");
  Tensor in = Tensor::Empty({n}, DType::kI64);
  std::memcpy(in.raw(), values->data(), n * sizeof(double));
  Tensor out = Tensor::Empty({n * comm.size()}, DType::kI64);
  comm.AllGather(in, out);
  const double* all = static_cast<const double*>(out.raw());
  std::copy(all, all + n, values->begin());
  for (int r = 1; r < comm.size(); ++r) {
    const double* part = all + r * n;
    for (int64_t i = 0; i < n; ++i) {
      double& v = (*values)[i];
      if (op == ReduceOp::kSum) v += part[i];
      else if (op == ReduceOp::kMin) v = std::min(v, part[i]);
      else v = std::max(v, part[i]);
    }
  }
}

}  // namespace aif
