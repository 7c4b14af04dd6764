#include "data/idx_file.h"

#include <zlib.h>

#include <memory>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace aif {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads up to n bytes; returns how many were read; throws on a zlib error.
size_t ReadSome(gzFile f, const std::string& path, void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    unsigned ask = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int got = gzread(f, static_cast<char*>(buf) + done, ask);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      ThrowData("'%s' is not a valid gzip/IDX file (%s)", path.c_str(), msg ? msg : "zlib error");
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray ReadIdxUint8(const std::string& path, int expected_rank) {
  if (!PathExists(path)) ThrowIo("'%s' does not exist", path.c_str());
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) ThrowErrno("cannot open '" + path + "'");
  gzbuffer(f.get(), 1 << 20);
  unsigned char magic[4];
  if (ReadSome(f.get(), path, magic, 4) != 4) ThrowData("'%s' is too short to be an IDX file", path.c_str());
  if (magic[0] != 0 || magic[1] != 0) {
    ThrowData("'%s' has a bad IDX magic number (%02x %02x %02x %02x)", path.c_str(), magic[0], magic[1], magic[2],
              magic[3]);
  }
  if (magic[2] != 0x08) {
    ThrowData("'%s' holds IDX type 0x%02x; only unsigned bytes (0x08) are supported", path.c_str(), magic[2]);
  }
  if (magic[3] != expected_rank) {
    ThrowData("'%s' has %d dimensions, expected %d (is it the right file?)", path.c_str(), magic[3], expected_rank);
  }
  IdxArray out;
  uint64_t total = 1;
  for (int i = 0; i < expected_rank; ++i) {
    unsigned char b[4];
    if (ReadSome(f.get(), path, b, 4) != 4) ThrowData("'%s' is truncated in its header", path.c_str());
    uint32_t d = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    if (d == 0) ThrowData("'%s' has a zero dimension", path.c_str());
    out.dims.push_back(d);
    total *= d;
    if (total > (uint64_t{1} << 40)) ThrowData("'%s' declares an implausible size", path.c_str());
  }
  // Grow as data arrives, so a lying header cannot trigger a huge allocation.
  const size_t kStep = size_t{64} << 20;
  while (out.data.size() < total) {
    size_t before = out.data.size();
    size_t want = std::min<uint64_t>(kStep, total - before);
    out.data.resize(before + want);
    size_t got = ReadSome(f.get(), path, out.data.data() + before, want);
    if (got != want) {
      ThrowData("'%s' is truncated: the header declares %llu data bytes but the file holds %llu", path.c_str(),
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(before + got));
    }
  }
  unsigned char extra;
  if (ReadSome(f.get(), path, &extra, 1) != 0) {
    ThrowData("'%s' has bytes after the %llu the header declares", path.c_str(),
              static_cast<unsigned long long>(total));
  }
  return out;
}

}  // namespace aif
