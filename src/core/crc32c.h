// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 and LevelDB's log
// blocks): the per-chunk checksum of aif datasets. Crc32c(0, data, n) is the
// standard value ("123456789" -> 0xE3069283), and a CRC can be extended:
// Crc32c(Crc32c(0, a, n), b, m) == Crc32c(0, a then b, n + m). Uses the
// SSE 4.2 instruction where the CPU has it (several GB/s), a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aif {

uint32_t Crc32c(uint32_t crc, const void* data, size_t n);

}  // namespace aif
