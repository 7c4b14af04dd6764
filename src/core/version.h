// The aif version and the git commit it was built from (generated at build
// time by cmake/WriteGitCommit.cmake). Recorded in every file aif writes.
#pragma once

#include <string>

namespace aif {

std::string AifVersion();  // "0.1.0"
std::string GitCommit();   // "3f2a9c1b7d4e" or "3f2a9c1b7d4e-dirty" or "unknown"

}  // namespace aif
