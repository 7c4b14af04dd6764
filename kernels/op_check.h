// Operand checks for the public ops (kernels/ops*.cpp), with one error
// format: the op, what is wrong, and every operand's type, shape and device,
// e.g. "op Matmul: inner dimensions differ (a f32[3, 4] on cpu, b f32[5, 2]
// on cpu, ...)". Failures are internal errors: layers validate user input
// before they call an op. An OpCheck holds pointers only and allocates
// nothing unless a check fails, so it is cheap enough for every call.
#pragma once

#include <initializer_list>

#include "tensor/tensor.h"

namespace aif {
namespace ops {

class OpCheck {
 public:
  struct Operand {
    const char* name;
    const Tensor& tensor;
  };
  // Also checks that the defined operands share one device.
  OpCheck(const char* op, std::initializer_list<Operand> operands);

  void Require(bool ok, const char* what) const {
    if (!ok) Fail(what);
  }
  [[noreturn]] void Fail(const char* what) const;

  // t is defined and holds `dtype`; the *IfDefined forms accept an undefined t.
  void Type(const Tensor& t, DType dtype) const;
  void TypeIfDefined(const Tensor& t, DType dtype) const;
  // t is defined, holds `dtype` and has exactly the shape `dims` (a list,
  // not a Shape, so that a passing check allocates nothing).
  void Has(const Tensor& t, DType dtype, std::initializer_list<int64_t> dims) const;
  void HasIfDefined(const Tensor& t, DType dtype, std::initializer_list<int64_t> dims) const;
  // t is defined, holds `dtype` and has the shape of `like`.
  void HasShapeOf(const Tensor& t, DType dtype, const Tensor& like) const;
  void HasShapeOfIfDefined(const Tensor& t, DType dtype, const Tensor& like) const;
  // t is defined, holds `dtype` and has `numel` elements (flat operands).
  void HasElements(const Tensor& t, DType dtype, int64_t numel) const;

  const char* op() const { return op_; }
  DeviceType device() const { return device_; }

 private:
  static constexpr int kMaxOperands = 10;
  const char* NameOf(const Tensor& t) const;
  [[noreturn]] void FailShape(const Tensor& t, const Shape& want) const;

  const char* op_;
  const char* names_[kMaxOperands];
  const Tensor* tensors_[kMaxOperands];
  int count_ = 0;
  DeviceType device_ = DeviceType::kCpu;
};

// t's elements, or null for an undefined (optional) operand.
template <typename T>
T* DataOrNull(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Whether two defined tensors share any byte (an output that must not alias).
bool Overlap(const Tensor& a, const Tensor& b);

// Whether every size fits the 32-bit int of OpenBLAS's interface.
bool FitsBlasInt(std::initializer_list<int64_t> sizes);

// The one place that picks a backend (kernels/dispatch.h uses it). True when
// the operands live on the CUDA device, which runs kernels/cuda/; false for
// CPU operands, which run the reference loops of kernels/cpu/. In a build
// without the CUDA backend, CUDA operands are RequireCpu's usage error.
bool OnCuda(const OpCheck& check);

// CUDA operands are a usage error naming the op, so a GPU run fails with
// advice, not a crash. OnCuda's answer in a build without the CUDA backend.
void RequireCpu(const OpCheck& check);

}  // namespace ops
}  // namespace aif
