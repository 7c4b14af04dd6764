// Label text -> class id for data read against an existing schema
// (prepare --schema-from, the labels of a CSV in drift and evaluate). A
// label is its class by name; an integer label also by its value ("1.0" is
// class "1", as aif prepare names integer classes); and where no class is
// named by a number (Fashion-MNIST's "T-shirt/top", ...), an integer
// 0..C-1 is the class id, as IDX files and many CSV exports store labels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aif {

class ClassLookup {
 public:
  explicit ClassLookup(const std::vector<std::string>& class_names);

  std::optional<int32_t> Find(std::string_view label) const;
  // "cat, dog; or their ids 0..1" (at most 20 names), for errors.
  std::string Describe() const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> by_name_;
  bool ids_allowed_ = false;
};

}  // namespace aif
