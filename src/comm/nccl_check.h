// Checks for NCCL calls, for comm/'s CUDA-only sources. A failed call becomes
// aif::Error (kComm) naming the call and what it was for, with NCCL's error
// string and the communicator's last-error text (ncclGetLastError), and a
// hint: the cause is usually another rank or the interconnect.
#pragma once

#include <nccl.h>

#include <string>

namespace aif {

[[noreturn]] void ThrowNccl(ncclResult_t rc, ncclComm_t comm, const char* call, const std::string& what);

// For calls outside the collectives' fast path (set-up, ids).
inline void NcclCheck(ncclResult_t rc, ncclComm_t comm, const char* call, const std::string& what) {
  if (rc != ncclSuccess && rc != ncclInProgress) ThrowNccl(rc, comm, call, what);
}

}  // namespace aif
