// SHA-256 through OpenSSL's EVP interface: incremental hashing of bytes and
// whole files, hex output. Used for source fingerprints, dataset and model
// checksums, and store manifests.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace aif {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(const std::string& text) { Update(text.data(), text.size()); }
  // Lower-case hex of the digest; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(const void* data, size_t size);
// Streams the file; throws kIo naming the path when it cannot be read.
std::string Sha256File(const std::string& path, uint64_t* size_bytes = nullptr);

}  // namespace aif
