// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// a 4-byte magic (0, 0, type, rank), `rank` big-endian uint32 dimensions,
// then the data. Files may be gzip-compressed (read through zlib) or plain.
// Only unsigned bytes (type 0x08) are accepted, which covers every image and
// label file of both datasets. The magic, the rank, the size and the absence
// of trailing bytes are checked; violations are Error(kData) naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aif {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, prod(dims) bytes
};

IdxArray ReadIdxUint8(const std::string& path, int expected_rank);

}  // namespace aif
