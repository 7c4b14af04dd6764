#include "tensor/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/strings.h"

namespace aif {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kBF16: return 2;
    case DType::kI32: return 4;
    case DType::kU8: return 1;
    case DType::kI64: return 8;
    case DType::kF64: return 8;
  }
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kBF16: return "bf16";
    case DType::kI32: return "i32";
    case DType::kU8: return "u8";
    case DType::kI64: return "i64";
    case DType::kF64: return "f64";
  }
  return "?";
}

DType ParseDType(const std::string& name) {
  if (name == "f32" || name == "fp32" || name == "float32") return DType::kF32;
  if (name == "bf16" || name == "bfloat16") return DType::kBF16;
  if (name == "i32" || name == "int32") return DType::kI32;
  if (name == "u8" || name == "uint8") return DType::kU8;
  if (name == "i64" || name == "int64") return DType::kI64;
  if (name == "f64" || name == "float64") return DType::kF64;
  ThrowUsage("unknown element type '%s' (expected f32, bf16, i32, u8, i64 or f64)", name.c_str());
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeString(const Shape& shape) {
  std::vector<std::string> parts;
  for (int64_t d : shape) parts.push_back(std::to_string(d));
  return "[" + Join(parts, ", ") + "]";
}

Storage::Storage(size_t bytes, DeviceType device) : bytes_(bytes), device_(device) {
  if (bytes == 0) return;
  if (device == DeviceType::kCpu) {
    data_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!data_) ThrowInternal("out of host memory allocating %s", HumanBytes(static_cast<double>(bytes)).c_str());
  } else {
    data_ = DeviceAlloc(bytes);
  }
}

Storage::~Storage() {
  if (!data_) return;
  if (device_ == DeviceType::kCpu) std::free(data_);
  else DeviceFree(data_);
}

Tensor Tensor::Empty(const Shape& shape, DType dtype, DeviceType device) {
  for (int64_t d : shape) {
    if (d < 0) ThrowInternal("negative dimension in shape %s", ShapeString(shape).c_str());
  }
  Tensor t;
  t.shape_ = shape;
  t.numel_ = NumElements(shape);
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(t.nbytes(), device);
  return t;
}

Tensor Tensor::Zeros(const Shape& shape, DType dtype, DeviceType device) {
  Tensor t = Empty(shape, dtype, device);
  t.SetZero();
  return t;
}

Tensor Tensor::FromVector(const Shape& shape, const std::vector<float>& values) {
  Tensor t = Empty(shape);
  AIF_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "FromVector: wrong number of values");
  std::memcpy(t.raw(), values.data(), t.nbytes());
  return t;
}

void Tensor::CheckType(DType want) const {
  AIF_CHECK(storage_, "access to an undefined tensor");
  if (want != dtype_) ThrowInternal("tensor %s accessed as %s", Describe().c_str(), DTypeName(want));
}

Tensor Tensor::Reshaped(const Shape& shape) const {
  AIF_CHECK(NumElements(shape) == numel_,
            Format("cannot reshape %s to %s", ShapeString(shape_).c_str(), ShapeString(shape).c_str()));
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::View(int64_t offset, const Shape& shape) const {
  int64_t n = NumElements(shape);
  AIF_CHECK(offset >= 0 && offset + n <= numel_, Format("view [%lld, +%lld) outside %s", static_cast<long long>(offset),
                                                        static_cast<long long>(n), Describe().c_str()));
  Tensor t = *this;
  t.offset_ = offset_ + static_cast<size_t>(offset) * DTypeSize(dtype_);
  t.shape_ = shape;
  t.numel_ = n;
  return t;
}

Tensor Tensor::Rows(int64_t begin, int64_t end) const {
  AIF_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0], "Rows out of range");
  Shape s = shape_;
  s[0] = end - begin;
  return View(begin * (numel_ / std::max<int64_t>(shape_[0], 1)), s);
}

void Tensor::CopyFrom(const Tensor& src) const {
  AIF_CHECK(src.numel_ == numel_ && src.dtype_ == dtype_,
            Format("CopyFrom %s into %s", src.Describe().c_str(), Describe().c_str()));
  if (nbytes() == 0) return;
  const bool src_cpu = src.device() == DeviceType::kCpu, dst_cpu = device() == DeviceType::kCpu;
  if (src_cpu && dst_cpu) std::memcpy(raw(), src.raw(), nbytes());
  else if (src_cpu) DeviceCopy(raw(), src.raw(), nbytes(), CopyKind::kHostToDevice);
  else if (dst_cpu) DeviceCopy(raw(), src.raw(), nbytes(), CopyKind::kDeviceToHost);
  else DeviceCopy(raw(), src.raw(), nbytes(), CopyKind::kDeviceToDevice);
}

Tensor Tensor::To(DeviceType device) const {
  Tensor t = Empty(shape_, dtype_, device);
  t.CopyFrom(*this);
  return t;
}

void Tensor::SetZero() const {
  if (nbytes() == 0) return;
  if (device() == DeviceType::kCpu) std::memset(raw(), 0, nbytes());
  else DeviceMemset(raw(), 0, nbytes());
}

std::string Tensor::Describe() const {
  return Format("%s%s on %s", DTypeName(dtype_), ShapeString(shape_).c_str(),
                DeviceName(device()));
}

}  // namespace aif
