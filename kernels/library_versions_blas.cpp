#include <cblas.h>

#include "core/strings.h"
#include "kernels/library_versions.h"

namespace aif {

std::string BlasLibraryVersion() { return std::string(Trim(openblas_get_config())); }

}  // namespace aif
