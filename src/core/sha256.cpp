#include "core/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <vector>

#include "core/error.h"

namespace aif {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool finished = false;
};

Sha256::Sha256() : impl_(new Impl) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    ThrowInternal("OpenSSL could not initialise SHA-256");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(const void* data, size_t size) {
  AIF_CHECK(!impl_->finished, "Sha256::Update after HexDigest");
  if (size && EVP_DigestUpdate(impl_->ctx, data, size) != 1) ThrowInternal("OpenSSL SHA-256 update failed");
}

std::string Sha256::HexDigest() {
  AIF_CHECK(!impl_->finished, "Sha256::HexDigest called twice");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest, &len) != 1) ThrowInternal("OpenSSL SHA-256 final failed");
  impl_->finished = true;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string Sha256Hex(const void* data, size_t size) {
  Sha256 h;
  h.Update(data, size);
  return h.HexDigest();
}

std::string Sha256File(const std::string& path, uint64_t* size_bytes) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) ThrowErrno("cannot open '" + path + "' for hashing");
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    h.Update(buf.data(), n);
    total += n;
  }
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) ThrowIo("cannot read '%s' while hashing it", path.c_str());
  if (size_bytes) *size_bytes = total;
  return h.HexDigest();
}

}  // namespace aif
