// Versions of the numeric libraries behind the kernels, read at run time from
// the loaded libraries (not the headers), for `aif --version` and lineage.
#pragma once

#include <string>

namespace aif {

std::string BlasLibraryVersion();   // "OpenBLAS 0.3.21 ..."
std::string CublasLibraryVersion();  // "13.0.0", or "" without CUDA
std::string CudnnLibraryVersion();   // "9.13.0", or "" without CUDA

}  // namespace aif
