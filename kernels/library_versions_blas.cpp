#include <cblas.h>

#include <cctype>

#include "core/strings.h"
#include "kernels/library_versions.h"

namespace aif {

std::string BlasLibraryVersion() { return std::string(Trim(openblas_get_config())); }

std::string BlasCoreTypeOverride() {
  const std::string core = openblas_get_corename();
  static const char* kFallbacks[] = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
                                     "coppermine", "northwood", "banias", "unknown"};
  bool fallback = false;
  for (const char* name : kFallbacks) {
    std::string lower;
    for (char c : core) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == name) fallback = true;
  }
  if (!fallback) return "";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

}  // namespace aif
