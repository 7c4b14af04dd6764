// The options every job that reads the model store shares (--store, --name,
// --alias, --version) and the step from them to a verified model file.
#pragma once

#include <string>

#include "core/options.h"

namespace aif {

struct StoreSelection {
  std::string store;   // default: $AIF_STORE, else ./aif-store
  std::string name;
  std::string alias;
  int64_t version = 0;
  bool given() const { return !name.empty(); }
};

// Adds --store, --name and, when `select_version`, --alias and --version.
void AddStoreOptions(JobOptions* options, StoreSelection* sel, bool select_version);

// The model file of the selected version (alias, else version), after every
// checksum of its manifest verified: kData on tampering, kUsage when the
// model, alias or version does not exist. `version_out` gets the version.
std::string VerifiedStoreModel(const StoreSelection& sel, int64_t* version_out = nullptr);

}  // namespace aif
