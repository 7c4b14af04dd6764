#include "kernels/library_versions.h"

namespace aif {

std::string CublasLibraryVersion() { return ""; }
std::string CudnnLibraryVersion() { return ""; }

}  // namespace aif
