#include "core/hdf5_io.h"

#include <algorithm>

#include "core/fs.h"
#include "core/strings.h"

namespace aif {
namespace {

// Once per process, before any other HDF5 call:
// - H5dont_atexit: HDF5's exit handler closes every still-open file, and it
//   crashes (1.10.8) on a file whose close already failed, e.g. on a full
//   disk. aif closes every file it commits explicitly, so the handler only
//   ever sees abandoned temporaries.
// - no automatic error-stack printing: aif reports its own one-line errors
//   (with HDF5's innermost message appended).
void QuietHdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

// Runs QuietHdf5 at load time, so even a first call elsewhere is covered.
const struct Hdf5Init {
  Hdf5Init() { QuietHdf5(); }
} kHdf5Init;

herr_t CollectDescriptions(unsigned, const H5E_error2_t* err, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(err->desc ? err->desc : "");
  return 0;
}

// The operating system's message inside an HDF5 file-driver description
// ("file write failed: ..., errno = 28, error message = 'No space left on
// device', ..."), or "" if the description holds none.
std::string SystemMessageIn(const std::string& desc) {
  const std::string key = "error message = '";
  const size_t at = desc.find(key);
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size(), end = desc.find('\'', begin);
  return end == std::string::npos ? "" : desc.substr(begin, end - begin);
}

}  // namespace

std::recursive_mutex& Hdf5Mutex() {
  static std::recursive_mutex mu;
  QuietHdf5();
  return mu;
}

std::string Hdf5LibraryVersion() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return Format("%u.%u.%u", major, minor, release);
}

std::string Hdf5ErrorDetail() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectDescriptions, &descs);
  if (descs.empty()) return "";
  // The API call's own description, plus the system's reason when a file
  // driver call failed underneath (a full disk says so, with what to do).
  for (const std::string& desc : descs) {
    const std::string system = SystemMessageIn(desc);
    if (system.empty()) continue;
    const bool full = system.find("No space left") != std::string::npos || system.find("quota") != std::string::npos;
    return descs.front() + ": " + system + (full ? "; free space or choose another output directory" : "");
  }
  return descs.front();
}

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    Reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void H5Id::Reset() {
  if (id_ >= 0 && closer_) {
    Hdf5Lock lock(Hdf5Mutex());
    closer_(id_);
  }
  id_ = -1;
}

void H5Check(herr_t status, ErrorKind kind, const std::string& what) {
  if (status >= 0) return;
  std::string detail = Hdf5ErrorDetail();
  throw Error(kind, detail.empty() ? what : what + " (HDF5: " + detail + ")");
}

hid_t H5CheckId(hid_t id, ErrorKind kind, const std::string& what) {
  H5Check(id < 0 ? -1 : 0, kind, what);
  return id;
}

H5File H5File::Create(const std::string& path) {
  Hdf5Lock lock(Hdf5Mutex());
  // Track creation order so h5dump lists groups as they were written.
  H5Id fcpl(H5CheckId(H5Pcreate(H5P_FILE_CREATE), ErrorKind::kInternal, "H5Pcreate"), H5Pclose);
  H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED);
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  H5CheckId(id, ErrorKind::kIo, "cannot create HDF5 file '" + path + "'");
  return H5File(H5Id(id, H5Fclose), path);
}

H5File H5File::OpenReadOnly(const std::string& path) {
  Hdf5Lock lock(Hdf5Mutex());
  if (!PathExists(path)) ThrowIo("'%s' does not exist; check the path", path.c_str());
  if (FileSize(path) == 0) ThrowData("'%s' is empty, not an HDF5 file", path.c_str());
  htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 <= 0) ThrowData("'%s' is not an HDF5 file (or its header is damaged)", path.c_str());
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  H5CheckId(id, ErrorKind::kData, "cannot open HDF5 file '" + path + "'; it may be truncated or damaged");
  return H5File(H5Id(id, H5Fclose), path);
}

void H5File::Flush() {
  Hdf5Lock lock(Hdf5Mutex());
  H5Check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), ErrorKind::kIo, "cannot flush '" + path_ + "'");
}

void H5File::Close() {
  Hdf5Lock lock(Hdf5Mutex());
  if (!file_.valid()) return;
  // Release ownership first so a failed close is not retried by ~H5Id.
  herr_t status = H5Fclose(file_.Release());
  H5Check(status, ErrorKind::kIo, "cannot close '" + path_ + "' (disk full?)");
}

std::string ReadAifFormatName(const std::string& path) {
  H5File file = H5File::OpenReadOnly(path);
  Hdf5Lock lock(Hdf5Mutex());
  if (!H5HasAttr(file.id(), "format")) {
    ThrowData("'%s' is an HDF5 file but not an aif file (no 'format' attribute)", path.c_str());
  }
  return H5ReadStringAttr(file.id(), "format");
}

bool H5PathExists(hid_t loc, const std::string& path) {
  Hdf5Lock lock(Hdf5Mutex());
  // H5Lexists needs every intermediate component to exist.
  std::string prefix;
  for (const std::string& part : Split(path, '/')) {
    if (part.empty()) continue;
    prefix += (prefix.empty() ? "" : "/") + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

H5Id H5CreateGroup(hid_t loc, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  hid_t id = H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  return H5Id(H5CheckId(id, ErrorKind::kIo, "cannot create group '" + name + "'"), H5Gclose);
}

H5Id H5OpenGroup(hid_t loc, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  if (!H5PathExists(loc, name)) ThrowData("group '%s' is missing", name.c_str());
  hid_t id = H5Gopen2(loc, name.c_str(), H5P_DEFAULT);
  return H5Id(H5CheckId(id, ErrorKind::kData, "cannot open group '" + name + "'"), H5Gclose);
}

H5Id H5OpenDataset(hid_t loc, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  if (!H5PathExists(loc, name)) ThrowData("dataset '%s' is missing", name.c_str());
  hid_t id = H5Dopen2(loc, name.c_str(), H5P_DEFAULT);
  return H5Id(H5CheckId(id, ErrorKind::kData, "cannot open dataset '" + name + "'"), H5Dclose);
}

std::vector<int64_t> H5DatasetDims(hid_t dataset) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id space(H5CheckId(H5Dget_space(dataset), ErrorKind::kData, "H5Dget_space"), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) ThrowData("dataset has an invalid dataspace");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

H5Id H5CreateRowChunked(hid_t loc, const std::string& name, hid_t file_type, const std::vector<int64_t>& dims,
                        int64_t chunk_rows) {
  Hdf5Lock lock(Hdf5Mutex());
  std::vector<hsize_t> hdims(dims.begin(), dims.end()), chunk(dims.begin(), dims.end());
  chunk[0] = static_cast<hsize_t>(chunk_rows);
  H5Id space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), ErrorKind::kInternal,
          "H5Pset_chunk for '" + name + "'");
  hid_t id = H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT);
  return H5Id(H5CheckId(id, ErrorKind::kIo, "cannot create dataset '" + name + "'"), H5Dclose);
}

namespace {

// Selects rows [start, start + n) of `dataset` and the matching memory space.
std::pair<H5Id, H5Id> RowSelection(hid_t dataset, int64_t start, int64_t n) {
  H5Id file_space(H5Dget_space(dataset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(file_space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 1)));
  H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr);
  std::vector<hsize_t> offset(dims.size(), 0), count = dims;
  offset[0] = static_cast<hsize_t>(start);
  count[0] = static_cast<hsize_t>(n);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr);
  H5Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  return {std::move(file_space), std::move(mem_space)};
}

}  // namespace

void H5WriteRows(hid_t dataset, hid_t mem_type, int64_t start, int64_t n, const void* data, const std::string& what) {
  Hdf5Lock lock(Hdf5Mutex());
  auto [file_space, mem_space] = RowSelection(dataset, start, n);
  H5Check(H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data), ErrorKind::kIo,
          "cannot write " + what + " (disk full?)");
}

void H5ReadRows(hid_t dataset, hid_t mem_type, int64_t start, int64_t n, void* data, const std::string& what) {
  Hdf5Lock lock(Hdf5Mutex());
  auto [file_space, mem_space] = RowSelection(dataset, start, n);
  H5Check(H5Dread(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data), ErrorKind::kData,
          "cannot read " + what + " (file truncated or damaged?)");
}

namespace {

void WriteAttrRaw(hid_t obj, const std::string& name, hid_t type, hid_t space, const void* data) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  H5Id attr(H5CheckId(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), ErrorKind::kIo,
                      "cannot create attribute '" + name + "'"),
            H5Aclose);
  H5Check(H5Awrite(attr.get(), type, data), ErrorKind::kIo, "cannot write attribute '" + name + "'");
}

H5Id OpenAttr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) ThrowData("attribute '%s' is missing", name.c_str());
  return H5Id(H5CheckId(H5Aopen(obj, name.c_str(), H5P_DEFAULT), ErrorKind::kData, "cannot open attribute '" + name + "'"),
              H5Aclose);
}

H5Id VarStringType() {
  H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

}  // namespace

void H5WriteAttr(hid_t obj, const std::string& name, const std::string& value) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id type = VarStringType();
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  const char* ptr = value.c_str();
  WriteAttrRaw(obj, name, type.get(), space.get(), &ptr);
}

void H5WriteAttr(hid_t obj, const std::string& name, int64_t value) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  WriteAttrRaw(obj, name, H5T_NATIVE_INT64, space.get(), &value);
}

void H5WriteAttr(hid_t obj, const std::string& name, double value) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  WriteAttrRaw(obj, name, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void H5WriteAttr(hid_t obj, const std::string& name, const std::vector<int64_t>& values) {
  Hdf5Lock lock(Hdf5Mutex());
  hsize_t n = values.size();
  H5Id space(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL), H5Sclose);
  WriteAttrRaw(obj, name, H5T_NATIVE_INT64, space.get(), values.data());
}

bool H5HasAttr(hid_t obj, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  return H5Aexists(obj, name.c_str()) > 0;
}

std::string H5ReadStringAttr(hid_t obj, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id attr = OpenAttr(obj, name);
  H5Id ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) ThrowData("attribute '%s' is not a string", name.c_str());
  if (H5Tis_variable_str(ftype.get()) > 0) {
    H5Id type = VarStringType();
    char* ptr = nullptr;
    H5Check(H5Aread(attr.get(), type.get(), &ptr), ErrorKind::kData, "cannot read attribute '" + name + "'");
    std::string out = ptr ? ptr : "";
    H5free_memory(ptr);
    return out;
  }
  size_t size = H5Tget_size(ftype.get());
  std::string out(size, '\0');
  H5Check(H5Aread(attr.get(), ftype.get(), out.data()), ErrorKind::kData, "cannot read attribute '" + name + "'");
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

int64_t H5ReadIntAttr(hid_t obj, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id attr = OpenAttr(obj, name);
  int64_t value = 0;
  H5Check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), ErrorKind::kData, "cannot read attribute '" + name + "'");
  return value;
}

double H5ReadDoubleAttr(hid_t obj, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id attr = OpenAttr(obj, name);
  double value = 0;
  H5Check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), ErrorKind::kData, "cannot read attribute '" + name + "'");
  return value;
}

std::vector<int64_t> H5ReadIntsAttr(hid_t obj, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id attr = OpenAttr(obj, name);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<int64_t> values(static_cast<size_t>(n < 0 ? 0 : n));
  if (!values.empty()) {
    H5Check(H5Aread(attr.get(), H5T_NATIVE_INT64, values.data()), ErrorKind::kData,
            "cannot read attribute '" + name + "'");
  }
  return values;
}

void H5WriteStrings(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id type = VarStringType();
  hsize_t n = values.size();
  H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5Id ds(H5CheckId(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    ErrorKind::kIo, "cannot create dataset '" + name + "'"),
          H5Dclose);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n) {
    H5Check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), ErrorKind::kIo,
            "cannot write dataset '" + name + "'");
  }
}

std::vector<std::string> H5ReadStrings(hid_t loc, const std::string& name) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id ds = H5OpenDataset(loc, name);
  H5Id type = VarStringType();
  auto dims = H5DatasetDims(ds.get());
  if (dims.size() != 1) ThrowData("dataset '%s' should be a 1-D list of strings", name.c_str());
  std::vector<char*> ptrs(static_cast<size_t>(dims[0]), nullptr);
  if (!ptrs.empty()) {
    H5Check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), ErrorKind::kData,
            "cannot read dataset '" + name + "'");
  }
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

void H5WriteArrayRaw(hid_t loc, const std::string& name, hid_t type, const void* data,
                     const std::vector<int64_t>& dims) {
  Hdf5Lock lock(Hdf5Mutex());
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  H5Id space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  H5Id ds(H5CheckId(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    ErrorKind::kIo, "cannot create dataset '" + name + "'"),
          H5Dclose);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (n > 0) {
    H5Check(H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), ErrorKind::kIo,
            "cannot write dataset '" + name + "'");
  }
}

void H5ReadArrayRaw(hid_t loc, const std::string& name, hid_t type, void* data, size_t expected_elems) {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id ds = H5OpenDataset(loc, name);
  int64_t n = 1;
  for (int64_t d : H5DatasetDims(ds.get())) n *= d;
  if (static_cast<size_t>(n) != expected_elems) {
    ThrowData("dataset '%s' has %lld elements, expected %zu", name.c_str(), static_cast<long long>(n), expected_elems);
  }
  if (n > 0) {
    H5Check(H5Dread(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), ErrorKind::kData,
            "cannot read dataset '" + name + "'");
  }
}

}  // namespace aif
