#include "checkpoint/checkpoint_file.h"

#include <unistd.h>

#include <cstdlib>
#include <future>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/strings.h"

namespace aif {
namespace {

// SHA-256 of the meta JSON and every tensor (name, shape, bytes), in order.
std::string ContentSha256(const nlohmann::json& meta, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  Sha256 h;
  h.Update(meta.dump());
  for (const auto& [name, t] : tensors) {
    h.Update(name + ":" + ShapeString(t.shape()) + ":");
    h.Update(t.raw(), t.nbytes());
  }
  return h.HexDigest();
}

// Test hook: pause inside the write, after the data and before the commit,
// so a test can kill the process there (AIF_TEST_CHECKPOINT_PAUSE_S=seconds).
void MaybePauseForTests() {
  const char* pause = std::getenv("AIF_TEST_CHECKPOINT_PAUSE_S");
  if (!pause) return;
  LogWarn("test hook: pausing %s s inside a checkpoint write", pause);
  ::usleep(static_cast<useconds_t>(std::atof(pause) * 1e6));
}

}  // namespace

std::string WriteCheckpointFile(const std::string& path, const Checkpoint& c) {
  std::vector<std::pair<std::string, Tensor>> host;
  for (const auto& [name, t] : c.tensors) {
    AIF_CHECK(t.dtype() == DType::kF32, "checkpoint tensors are f32");
    AIF_CHECK(name.find('/') == std::string::npos && !name.empty(), "checkpoint tensor names have no '/'");
    host.emplace_back(name, t.device() == DeviceType::kCpu ? t : t.To(DeviceType::kCpu));
  }
  nlohmann::json meta = c.meta;
  meta["step"] = c.step;
  // Hash on another thread while HDF5 writes: the write then costs about
  // max(hash, I/O) instead of their sum (benchmarks/README.md).
  std::future<std::string> sha_future = std::async(std::launch::async, [&] { return ContentSha256(meta, host); });
  std::string sha;
  AtomicOutput out(path);
  {
    H5File file = H5File::Create(out.temp_path());
    Hdf5Lock lock(Hdf5Mutex());
    hid_t root = file.id();
    H5WriteAttr(root, "format", std::string(kCheckpointFormatName));
    H5WriteAttr(root, "format_version", kCheckpointFormatVersion);
    H5WriteAttr(root, "step", c.step);
    H5WriteAttr(root, "meta", meta.dump());
    H5Id g = H5CreateGroup(root, "tensors");
    std::vector<std::string> names;
    for (const auto& [name, t] : host) {
      H5WriteArrayRaw(g.get(), name, H5T_NATIVE_FLOAT, t.raw(), t.shape());
      names.push_back(name);
    }
    H5WriteAttr(g.get(), "order", Join(names, ","));
    sha = sha_future.get();
    H5WriteAttr(root, "content_sha256", sha);
    file.Flush();
    MaybePauseForTests();
    file.Close();
  }
  out.Commit();
  return sha;
}

Checkpoint ReadCheckpointFile(const std::string& path) {
  H5File file = H5File::OpenReadOnly(path);
  Hdf5Lock lock(Hdf5Mutex());
  hid_t root = file.id();
  Checkpoint c;
  try {
    if (!H5HasAttr(root, "format") || H5ReadStringAttr(root, "format") != kCheckpointFormatName) {
      ThrowData("is not an aif checkpoint");
    }
    const int64_t version = H5ReadIntAttr(root, "format_version");
    if (version != kCheckpointFormatVersion) {
      ThrowData("has checkpoint format version %lld, this aif reads version %lld", static_cast<long long>(version),
                static_cast<long long>(kCheckpointFormatVersion));
    }
    c.step = H5ReadIntAttr(root, "step");
    auto meta = nlohmann::json::parse(H5ReadStringAttr(root, "meta"), nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) ThrowData("has unreadable metadata");
    c.meta = meta;
    H5Id g = H5OpenGroup(root, "tensors");
    for (const std::string& name : Split(H5ReadStringAttr(g.get(), "order"), ',')) {
      if (name.empty()) continue;
      H5Id ds = H5OpenDataset(g.get(), name);
      Tensor t = Tensor::Empty(H5DatasetDims(ds.get()));
      H5ReadArrayRaw(g.get(), name, H5T_NATIVE_FLOAT, t.raw(), static_cast<size_t>(t.numel()));
      c.tensors.emplace_back(name, t);
    }
    const std::string stored = H5ReadStringAttr(root, "content_sha256");
    const std::string actual = ContentSha256(c.meta, c.tensors);
    if (stored != actual) {
      ThrowData("fails its checksum (stored %.12s..., computed %.12s...): damaged or modified", stored.c_str(),
                actual.c_str());
    }
    if (c.meta.value("step", int64_t{-1}) != c.step) ThrowData("has inconsistent step attributes");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kData) throw;
    throw Error(ErrorKind::kData, "checkpoint '" + path + "' " + e.what());
  }
  return c;
}

nlohmann::json DescribeCheckpointFile(const std::string& path) {
  Checkpoint c = ReadCheckpointFile(path);
  nlohmann::json j;
  j["format"] = kCheckpointFormatName;
  j["format_version"] = kCheckpointFormatVersion;
  j["step"] = c.step;
  j["verified"] = true;
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& [name, t] : c.tensors) tensors.push_back({{"name", name}, {"shape", t.shape()}});
  j["tensors"] = tensors;
  j["meta"] = c.meta;
  return j;
}

}  // namespace aif
