// Tensor: a shape, an element type, a device and a reference to owned
// storage. Tensors are dense, row-major and contiguous; a view shares its
// parent's storage (a reshape, or a contiguous sub-range such as one
// parameter inside a flat parameter buffer). Copying a Tensor copies the
// reference, not the data; CopyFrom copies data, between devices too.
// Tensors never compute: the ops live in kernels/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tensor/device.h"
#include "tensor/dtype.h"

namespace aif {

using Shape = std::vector<int64_t>;
int64_t NumElements(const Shape& shape);
std::string ShapeString(const Shape& shape);  // "[256, 784]"

// Raw device memory. CPU memory is 64-byte aligned; CUDA memory comes from
// the current device's caching allocator (caching_allocator.h), so freeing it
// is cheap and reuse is ordered on the compute stream (compute_stream.h).
class Storage {
 public:
  Storage(size_t bytes, DeviceType device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  DeviceType device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  DeviceType device_;
};

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised memory.
  static Tensor Empty(const Shape& shape, DType dtype = DType::kF32, DeviceType device = DeviceType::kCpu);
  static Tensor Zeros(const Shape& shape, DType dtype = DType::kF32, DeviceType device = DeviceType::kCpu);
  // A CPU f32 tensor holding `values` (tests, small constants).
  static Tensor FromVector(const Shape& shape, const std::vector<float>& values);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_.at(i < 0 ? shape_.size() + i : i); }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  DeviceType device() const { return storage_ ? storage_->device() : DeviceType::kCpu; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * DTypeSize(dtype_); }

  void* raw() const { return static_cast<char*>(storage_->data()) + offset_; }
  // Typed access; checks the element type.
  template <typename T>
  T* data() const {
    CheckType(DTypeOf<T>());
    return static_cast<T*>(raw());
  }

  // The same elements with another shape (same element count).
  Tensor Reshaped(const Shape& shape) const;
  // Elements [offset, offset + numel(shape)) of this tensor, as `shape`.
  Tensor View(int64_t offset, const Shape& shape) const;
  // Rows [begin, end) along the first dimension.
  Tensor Rows(int64_t begin, int64_t end) const;

  // Copies the data of `src` (same shape and type, any devices) into this.
  void CopyFrom(const Tensor& src) const;  // const: writes the data, not the handle
  Tensor To(DeviceType device) const;
  void SetZero() const;

  bool SameShape(const Tensor& o) const { return shape_ == o.shape_; }
  std::string Describe() const;  // "f32[256, 784] on cpu"

 private:
  void CheckType(DType want) const;
  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
  Shape shape_;
  int64_t numel_ = 0;
  DType dtype_ = DType::kF32;
};

// Device memory primitives (tensor/storage_cuda.cu; errors without CUDA).
void* DeviceAlloc(size_t bytes);
void DeviceFree(void* ptr);
enum class CopyKind { kHostToDevice, kDeviceToHost, kDeviceToDevice };
void DeviceCopy(void* dst, const void* src, size_t bytes, CopyKind kind);
void DeviceMemset(void* dst, int value, size_t bytes);
// Waits for all work queued on the current device (benchmarks, tests).
void DeviceSynchronize();

}  // namespace aif
