#include "data/class_lookup.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace aif {

ClassLookup::ClassLookup(const std::vector<std::string>& class_names) : names_(class_names) {
  for (size_t i = 0; i < names_.size(); ++i) by_name_[names_[i]] = static_cast<int32_t>(i);
  ids_allowed_ = std::none_of(names_.begin(), names_.end(), [](const std::string& c) { return ParseDouble(c).has_value(); });
}

std::optional<int32_t> ClassLookup::Find(std::string_view label) const {
  auto hit = by_name_.find(std::string(label));
  if (hit != by_name_.end()) return hit->second;
  const auto v = ParseDouble(label);
  if (!v || !std::isfinite(*v) || *v != std::floor(*v) || std::fabs(*v) > 1e15) return std::nullopt;
  hit = by_name_.find(std::to_string(static_cast<int64_t>(*v)));
  if (hit != by_name_.end()) return hit->second;
  if (ids_allowed_ && *v >= 0 && *v < static_cast<double>(names_.size())) return static_cast<int32_t>(*v);
  return std::nullopt;
}

std::string ClassLookup::Describe() const {
  std::vector<std::string> shown(names_.begin(), names_.begin() + std::min<size_t>(20, names_.size()));
  std::string text = Join(shown, ", ") + (names_.size() > 20 ? ", ..." : "");
  if (ids_allowed_ && !names_.empty()) text += Format("; or their ids 0..%zu", names_.size() - 1);
  return text;
}

}  // namespace aif
