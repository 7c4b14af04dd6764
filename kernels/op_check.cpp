// Implements OpCheck: the error text is built only when a check fails.
#include "kernels/op_check.h"

#include <algorithm>
#include <climits>
#include <string>

#include "core/strings.h"

namespace aif {
namespace ops {

OpCheck::OpCheck(const char* op, std::initializer_list<Operand> operands) : op_(op) {
  AIF_CHECK(operands.size() <= static_cast<size_t>(kMaxOperands), "OpCheck: too many operands");
  bool seen_defined = false;
  for (const Operand& operand : operands) {
    names_[count_] = operand.name;
    tensors_[count_] = &operand.tensor;
    ++count_;
    if (!operand.tensor.defined()) continue;
    if (!seen_defined)
      device_ = operand.tensor.device();
    else
      Require(operand.tensor.device() == device_, "operands live on different devices");
    seen_defined = true;
  }
}

void OpCheck::Fail(const char* what) const {
  std::string operands;
  for (int i = 0; i < count_; ++i) {
    if (i > 0) operands += ", ";
    operands += names_[i];
    operands += " ";
    operands += tensors_[i]->defined() ? tensors_[i]->Describe() : std::string("undefined");
  }
  ThrowInternal("op %s: %s (%s)", op_, what, operands.c_str());
}

const char* OpCheck::NameOf(const Tensor& t) const {
  for (int i = 0; i < count_; ++i) {
    if (tensors_[i] == &t) return names_[i];
  }
  return "an operand";
}

void OpCheck::Type(const Tensor& t, DType dtype) const {
  if (!t.defined()) Fail(Format("operand %s is undefined", NameOf(t)).c_str());
  if (t.dtype() != dtype) Fail(Format("operand %s must be %s", NameOf(t), DTypeName(dtype)).c_str());
}

void OpCheck::TypeIfDefined(const Tensor& t, DType dtype) const {
  if (t.defined()) Type(t, dtype);
}

void OpCheck::FailShape(const Tensor& t, const Shape& want) const {
  Fail(Format("operand %s must have shape %s", NameOf(t), ShapeString(want).c_str()).c_str());
}

void OpCheck::Has(const Tensor& t, DType dtype, std::initializer_list<int64_t> dims) const {
  Type(t, dtype);
  const Shape& shape = t.shape();
  if (!std::equal(shape.begin(), shape.end(), dims.begin(), dims.end())) FailShape(t, Shape(dims));
}

void OpCheck::HasIfDefined(const Tensor& t, DType dtype, std::initializer_list<int64_t> dims) const {
  if (t.defined()) Has(t, dtype, dims);
}

void OpCheck::HasShapeOf(const Tensor& t, DType dtype, const Tensor& like) const {
  Type(t, dtype);
  if (t.shape() != like.shape()) FailShape(t, like.shape());
}

void OpCheck::HasShapeOfIfDefined(const Tensor& t, DType dtype, const Tensor& like) const {
  if (t.defined()) HasShapeOf(t, dtype, like);
}

void OpCheck::HasElements(const Tensor& t, DType dtype, int64_t numel) const {
  Type(t, dtype);
  if (t.numel() != numel) {
    Fail(Format("operand %s must have %lld elements", NameOf(t), static_cast<long long>(numel)).c_str());
  }
}

bool Overlap(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.nbytes() == 0 || b.nbytes() == 0) return false;
  const char* a_begin = static_cast<const char*>(a.raw());
  const char* b_begin = static_cast<const char*>(b.raw());
  return a_begin < b_begin + b.nbytes() && b_begin < a_begin + a.nbytes();
}

bool FitsBlasInt(std::initializer_list<int64_t> sizes) {
  for (int64_t size : sizes) {
    if (size > INT_MAX) return false;
  }
  return true;
}

bool OnCuda(const OpCheck& check) {
  if (check.device() == DeviceType::kCpu) return false;
#if defined(AIF_WITH_CUDA)
  return true;
#else
  RequireCpu(check);  // throws
  return false;
#endif
}

void RequireCpu(const OpCheck& check) {
  if (check.device() != DeviceType::kCpu) {
    ThrowUsage("op %s has no CUDA implementation yet; use --device cpu", check.op());
  }
}

}  // namespace ops
}  // namespace aif
