#include "registry/store_names.h"

#include <cctype>

#include "core/error.h"

namespace aif {

void ValidateStoreName(const std::string& what, const std::string& name) {
  if (name.empty()) ThrowUsage("the %s is empty; give 1 to %zu characters from [A-Za-z0-9._-]", what.c_str(), kMaxStoreNameLength);
  if (name.size() > kMaxStoreNameLength) {
    ThrowUsage("the %s '%.80s...' is %zu characters long; at most %zu are allowed", what.c_str(), name.c_str(),
               name.size(), kMaxStoreNameLength);
  }
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    ThrowUsage("the %s '%s' must start with a letter or a digit", what.c_str(), name.c_str());
  }
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) {
      ThrowUsage("the %s '%s' contains '%c'; only letters, digits, '.', '_' and '-' are allowed", what.c_str(),
                 name.c_str(), c);
    }
  }
  if (name.find("..") != std::string::npos) ThrowUsage("the %s '%s' contains '..'", what.c_str(), name.c_str());
}

}  // namespace aif
