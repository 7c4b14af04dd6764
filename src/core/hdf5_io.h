// A thin, exception-safe layer over the HDF5 C API used by every aif file
// format (datasets, checkpoints, models): RAII handles, attribute and array
// helpers, and one process-wide lock. Debian's parallel HDF5 is not built
// thread-safe, so every HDF5 call in aif runs under Hdf5Lock (the reader's
// prefetch thread and the training loop may touch HDF5 at the same time).
// Failures throw aif::Error naming the file and object, with HDF5's own
// innermost message appended; HDF5's stack dumps to stderr are turned off.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"

namespace aif {

std::recursive_mutex& Hdf5Mutex();
using Hdf5Lock = std::lock_guard<std::recursive_mutex>;

// "1.10.8"
std::string Hdf5LibraryVersion();
// The failed HDF5 call's message from the error stack, with the operating
// system's reason when a file-driver call failed under it (e.g. "can't write
// data: No space left on device; free space or ..."), or "" if the stack is empty.
std::string Hdf5ErrorDetail();

// Owns an hid_t and closes it with the matching H5*close function.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~H5Id() { Reset(); }
  H5Id(H5Id&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  H5Id& operator=(H5Id&& other) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void Reset();
  // Gives up ownership without closing.
  hid_t Release() {
    hid_t id = id_;
    id_ = -1;
    return id;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// An open HDF5 file; `path` is kept for error messages.
class H5File {
 public:
  // Creates (truncating) a file for writing. kIo on failure.
  static H5File Create(const std::string& path);
  // Opens an existing file read-only: kIo if it is missing or unreadable,
  // kData if it is not an HDF5 file or is damaged.
  static H5File OpenReadOnly(const std::string& path);

  hid_t id() const { return file_.get(); }
  const std::string& path() const { return path_; }
  void Flush();
  // Closes the file and reports errors (a destructor cannot).
  void Close();

 private:
  H5File(H5Id file, std::string path) : file_(std::move(file)), path_(std::move(path)) {}
  H5Id file_;
  std::string path_;
};

// Throws Error(kind) with "<what>: <HDF5 detail>" when status < 0.
void H5Check(herr_t status, ErrorKind kind, const std::string& what);
hid_t H5CheckId(hid_t id, ErrorKind kind, const std::string& what);

// The root attribute "format" of an aif file ("aif.dataset", "aif.model",
// ...). kIo/kData when the file is missing or not HDF5; kData when it is an
// HDF5 file without that attribute (not an aif file).
std::string ReadAifFormatName(const std::string& path);

bool H5PathExists(hid_t loc, const std::string& path);
H5Id H5CreateGroup(hid_t loc, const std::string& name);
H5Id H5OpenGroup(hid_t loc, const std::string& name);
H5Id H5OpenDataset(hid_t loc, const std::string& name);
// Dimensions of a dataset.
std::vector<int64_t> H5DatasetDims(hid_t dataset);

// Row-chunked datasets: the first dimension counts rows, the others are
// whole. Created with chunks of `chunk_rows` rows; read and written as row
// ranges [start, start + n), one hyperslab each. `what` names the dataset
// in errors (write failures are kIo, read failures kData).
H5Id H5CreateRowChunked(hid_t loc, const std::string& name, hid_t file_type, const std::vector<int64_t>& dims,
                        int64_t chunk_rows);
void H5WriteRows(hid_t dataset, hid_t mem_type, int64_t start, int64_t n, const void* data, const std::string& what);
void H5ReadRows(hid_t dataset, hid_t mem_type, int64_t start, int64_t n, void* data, const std::string& what);

// Attributes on a file, group or dataset.
void H5WriteAttr(hid_t obj, const std::string& name, const std::string& value);
void H5WriteAttr(hid_t obj, const std::string& name, int64_t value);
void H5WriteAttr(hid_t obj, const std::string& name, double value);
void H5WriteAttr(hid_t obj, const std::string& name, const std::vector<int64_t>& values);
bool H5HasAttr(hid_t obj, const std::string& name);
std::string H5ReadStringAttr(hid_t obj, const std::string& name);
int64_t H5ReadIntAttr(hid_t obj, const std::string& name);
double H5ReadDoubleAttr(hid_t obj, const std::string& name);
std::vector<int64_t> H5ReadIntsAttr(hid_t obj, const std::string& name);

// Small whole datasets (contiguous, not chunked).
void H5WriteStrings(hid_t loc, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> H5ReadStrings(hid_t loc, const std::string& name);

template <typename T> hid_t H5NativeType();
template <> inline hid_t H5NativeType<uint8_t>() { return H5T_NATIVE_UINT8; }
template <> inline hid_t H5NativeType<int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t H5NativeType<uint32_t>() { return H5T_NATIVE_UINT32; }
template <> inline hid_t H5NativeType<int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t H5NativeType<uint64_t>() { return H5T_NATIVE_UINT64; }
template <> inline hid_t H5NativeType<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t H5NativeType<double>() { return H5T_NATIVE_DOUBLE; }

void H5WriteArrayRaw(hid_t loc, const std::string& name, hid_t type, const void* data,
                     const std::vector<int64_t>& dims);
void H5ReadArrayRaw(hid_t loc, const std::string& name, hid_t type, void* data, size_t expected_elems);

template <typename T>
void H5WriteArray(hid_t loc, const std::string& name, const std::vector<T>& values, std::vector<int64_t> dims = {}) {
  if (dims.empty()) dims = {static_cast<int64_t>(values.size())};
  H5WriteArrayRaw(loc, name, H5NativeType<T>(), values.data(), dims);
}

template <typename T>
std::vector<T> H5ReadArray(hid_t loc, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id ds = H5OpenDataset(loc, name);
  int64_t n = 1;
  for (int64_t d : H5DatasetDims(ds.get())) n *= d;
  std::vector<T> out(static_cast<size_t>(n));
  H5ReadArrayRaw(loc, name, H5NativeType<T>(), out.data(), out.size());
  return out;
}

}  // namespace aif
