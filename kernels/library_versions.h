// Versions of the numeric libraries behind the kernels, read at run time from
// the loaded libraries (not the headers), for `aif --version` and lineage.
#pragma once

#include <string>

namespace aif {

// OpenBLAS's run-time CPU detection (DYNAMIC_ARCH) falls back to its oldest
// kernels ("Prescott", SSE3) on CPUs it does not know by model number, such
// as virtualised Xeons that report a generic model: sgemm then runs ~5x
// slower (27 vs 137 GFLOP/s on one core here). This returns the core type to
// force with OPENBLAS_CORETYPE ("SkylakeX" with AVX-512, "Haswell" with
// AVX2+FMA), or "" when the detection is fine. OpenBLAS reads that variable
// only when it loads, so the caller must set it and re-execute.
std::string BlasCoreTypeOverride();

std::string BlasLibraryVersion();   // "OpenBLAS 0.3.21 ..."
std::string CublasLibraryVersion();  // "13.0.0", or "" without CUDA
std::string CudnnLibraryVersion();   // "9.13.0", or "" without CUDA

}  // namespace aif
