// Versions of the communication libraries (MPI, NCCL), read from the loaded
// libraries at run time, for `aif --version` and lineage. Safe to call
// before MPI_Init.
#pragma once

#include <string>

namespace aif {

std::string MpiLibraryVersion();   // "Open MPI v4.1.4, ..."
std::string NcclLibraryVersion();  // "2.28.9", or "" without CUDA

}  // namespace aif
