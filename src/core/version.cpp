#include "core/version.h"

#include "core/git_commit.h"

namespace aif {

std::string AifVersion() { return AIF_VERSION_STRING; }
std::string GitCommit() { return AIF_GIT_COMMIT; }

}  // namespace aif
