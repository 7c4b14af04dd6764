#include "comm/library_versions.h"

#include <mpi.h>

#include "core/strings.h"

#if defined(AIF_WITH_CUDA)
#include <nccl.h>
#endif

namespace aif {

std::string MpiLibraryVersion() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string text(buf, static_cast<size_t>(len));
  std::string first = text.substr(0, text.find_first_of(",\n"));
  return std::string(Trim(first));
}

std::string NcclLibraryVersion() {
#if defined(AIF_WITH_CUDA)
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return Format("%d.%d.%d", v / 10000, (v % 10000) / 100, v % 100);
#else
  return "";
#endif
}

}  // namespace aif
