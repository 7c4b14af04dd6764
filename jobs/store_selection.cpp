#include "jobs/store_selection.h"

#include "core/error.h"
#include "registry/model_store.h"

namespace aif {

void AddStoreOptions(JobOptions* options, StoreSelection* sel, bool select_version) {
  options->Add<std::string>("store", &sel->store, ModelStore::DefaultRoot(),
                            "the model store directory (default: $AIF_STORE, else ./aif-store)");
  options->AddOptional<std::string>("name", &sel->name, "the model's name in the store");
  if (select_version) {
    options->AddOptional<std::string>("alias", &sel->alias, "the alias to use (e.g. production)")
        .Add<int64_t>("version", &sel->version, 0, "the version to use, when no --alias is given");
  }
}

std::string VerifiedStoreModel(const StoreSelection& sel, int64_t* version_out) {
  if (sel.alias.empty() && sel.version <= 0) ThrowUsage("give --alias or --version with --name");
  ModelStore store(sel.store);
  const int64_t version = store.ResolveVersion(sel.name, sel.alias, sel.version);
  if (version_out) *version_out = version;
  return store.VerifiedVersionDir(sel.name, version) + "/model.h5";
}

}  // namespace aif
