// Names in the model store. A model name or an alias becomes one path
// component of the store, so it is checked before it touches the file
// system: 1 to 64 characters from [A-Za-z0-9._-], starting with a letter or
// a digit (so no "..", no hidden files, no path separators, no option-like
// leading '-').
#pragma once

#include <string>

namespace aif {

inline constexpr size_t kMaxStoreNameLength = 64;

// Throws kUsage naming `what` ("model name", "alias") and the rule broken.
void ValidateStoreName(const std::string& what, const std::string& name);

}  // namespace aif
