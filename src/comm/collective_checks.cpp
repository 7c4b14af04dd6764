// The argument checks of collective_checks.h. They run before any MPI call,
// so a call rejected on every rank alike leaves no rank waiting in one.
#include "comm/collective_checks.h"

namespace aif {

const char* ReduceOpName(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kAverage: return "average";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kMin: return "min";
  }
  return "?";
}

void CheckCollectiveTensor(const Tensor& t, const char* call) {
  if (!t.defined()) ThrowInternal("%s: the tensor is undefined", call);
  switch (t.dtype()) {
    case DType::kF32:
    case DType::kI32:
    case DType::kI64:
    case DType::kF64:
      return;
    default:
      ThrowInternal("%s: %s tensors are not supported by the collectives (f32, f64, i32 and i64 are); got %s", call,
                    DTypeName(t.dtype()), t.Describe().c_str());
  }
}

void CheckReducible(const Tensor& t, ReduceOp op, const char* call) {
  CheckCollectiveTensor(t, call);
  if (op == ReduceOp::kAverage && t.dtype() != DType::kF32) {
    ThrowInternal("%s: an average of %s values would be truncated; reduce with sum and divide, or use f32 (%s)", call,
                  DTypeName(t.dtype()), t.Describe().c_str());
  }
}

void CheckOnCpu(const Tensor& t, const char* backend, const char* call) {
  if (t.device() != DeviceType::kCpu) {
    ThrowInternal("%s: the %s backend takes host tensors, got %s (device tensors need the nccl backend)", call,
                  backend, t.Describe().c_str());
  }
}

void CheckRoot(int root, int size, const char* call) {
  if (root < 0 || root >= size) ThrowInternal("%s: root %d is not a rank of %d", call, root, size);
}

void CheckAllGatherArgs(const Tensor& in, const Tensor& out, int size, const char* call) {
  CheckCollectiveTensor(in, call);
  CheckCollectiveTensor(out, call);
  if (out.dtype() != in.dtype() || out.numel() != in.numel() * size) {
    ThrowInternal("%s: output %s cannot hold %d ranks' %s", call, out.Describe().c_str(), size,
                  in.Describe().c_str());
  }
}

}  // namespace aif
