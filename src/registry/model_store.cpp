#include "registry/model_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "registry/manifest.h"
#include "registry/store_names.h"

namespace aif {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && s.size() < 18 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

// Test hook: AIF_TEST_STORE_PAUSE=<point>:<seconds> sleeps at that point of a
// change (points: staged, registered, aliased) so tests can kill the writer
// there. Not for production use.
void TestPause(const char* point) {
  const char* spec = std::getenv("AIF_TEST_STORE_PAUSE");
  if (!spec) return;
  const std::string s = spec;
  const size_t colon = s.find(':');
  if (colon == std::string::npos || s.substr(0, colon) != point) return;
  std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(s.c_str() + colon + 1)));
}

std::string CreateModelDirs(const std::string& dir) {
  MakeDirectories(dir + "/versions");
  MakeDirectories(dir + "/aliases");
  return dir + "/.lock";
}

}  // namespace

std::string ModelStore::DefaultRoot() {
  const char* env = std::getenv("AIF_STORE");
  return env && *env ? env : "aif-store";
}

ModelStore::ModelStore(std::string root, double lock_timeout_seconds)
    : root_(std::move(root)), lock_timeout_seconds_(lock_timeout_seconds) {
  if (root_.empty()) root_ = DefaultRoot();
}

std::string ModelStore::ModelDir(const std::string& name) const {
  ValidateStoreName("model name", name);
  return root_ + "/" + name;
}

std::string ModelStore::VersionDir(const std::string& name, int64_t version) const {
  return ModelDir(name) + "/versions/" + std::to_string(version);
}

std::vector<std::string> ModelStore::Models() const {
  std::vector<std::string> models;
  if (!IsDirectory(root_)) return models;
  for (const auto& name : ListDirectory(root_)) {
    if (IsDirectory(root_ + "/" + name + "/versions")) models.push_back(name);
  }
  return models;
}

std::vector<int64_t> ModelStore::Versions(const std::string& name) const {
  std::vector<int64_t> versions;
  const std::string dir = ModelDir(name) + "/versions";
  if (!IsDirectory(dir)) return versions;
  for (const auto& entry : ListDirectory(dir)) {
    if (AllDigits(entry)) versions.push_back(std::stoll(entry));
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

std::map<std::string, int64_t> ModelStore::Aliases(const std::string& name) const {
  std::map<std::string, int64_t> aliases;
  const std::string dir = ModelDir(name) + "/aliases";
  if (!IsDirectory(dir)) return aliases;
  for (const auto& entry : ListDirectory(dir)) {
    if (!EndsWith(entry, ".json")) continue;  // skips temporaries of atomic writes
    const std::string alias = entry.substr(0, entry.size() - 5);
    if (auto v = AliasVersion(name, alias)) aliases[alias] = *v;
  }
  return aliases;
}

std::optional<int64_t> ModelStore::AliasVersion(const std::string& name, const std::string& alias) const {
  ValidateStoreName("alias", alias);
  const std::string path = ModelDir(name) + "/aliases/" + alias + ".json";
  if (!PathExists(path)) return std::nullopt;
  auto j = nlohmann::json::parse(ReadFileToString(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_number_integer()) {
    ThrowData("alias file '%s' is damaged; run 'aif registry verify' and move the alias again", path.c_str());
  }
  return j["version"].get<int64_t>();
}

void ModelStore::RequireStore() const {
  if (!IsDirectory(root_)) {
    throw Error(ErrorKind::kIo, Format("the model store '%s' does not exist; check --store or $AIF_STORE ('aif "
                                       "promote' creates a store)", root_.c_str()));
  }
}

void ModelStore::RequireModel(const std::string& name) const {
  RequireStore();
  if (!IsDirectory(ModelDir(name) + "/versions")) {
    ThrowUsage("the store '%s' has no model '%s' (it has: %s)", root_.c_str(), name.c_str(),
               Models().empty() ? "none" : Join(Models(), ", ").c_str());
  }
}

void ModelStore::RequireVersion(const std::string& name, int64_t version) const {
  RequireModel(name);
  if (!IsDirectory(VersionDir(name, version))) {
    std::vector<std::string> have;
    for (int64_t v : Versions(name)) have.push_back(std::to_string(v));
    ThrowUsage("model '%s' has no version %lld (it has: %s)", name.c_str(), static_cast<long long>(version),
               have.empty() ? "none" : Join(have, ", ").c_str());
  }
}

int64_t ModelStore::ResolveVersion(const std::string& name, const std::string& alias, int64_t version) const {
  if (!alias.empty()) {
    RequireModel(name);
    auto v = AliasVersion(name, alias);
    if (!v) {
      std::vector<std::string> have;
      for (const auto& [a, n] : Aliases(name)) have.push_back(a);
      ThrowUsage("model '%s' has no alias '%s' (it has: %s)", name.c_str(), alias.c_str(),
                 have.empty() ? "none" : Join(have, ", ").c_str());
    }
    version = *v;
  }
  RequireVersion(name, version);
  return version;
}

std::string ModelStore::VerifiedVersionDir(const std::string& name, int64_t version) const {
  RequireVersion(name, version);
  const std::string dir = VersionDir(name, version);
  const auto problems = VerifyVersionDir(dir);
  if (!problems.empty()) {
    ThrowData("%s version %lld does not verify: %s%s; the stored files were changed or damaged (aif registry verify "
              "lists every problem)",
              name.c_str(), static_cast<long long>(version), problems[0].c_str(),
              problems.size() > 1 ? Format(" (and %zu more)", problems.size() - 1).c_str() : "");
  }
  return dir;
}

std::unique_ptr<ModelStore::Writer> ModelStore::Lock(const std::string& name) const {
  return std::make_unique<Writer>(*this, name);
}

ModelStore::Writer::Writer(const ModelStore& store, const std::string& name)
    : store_(store),
      name_(name),
      dir_(store.ModelDir(name)),
      lock_(CreateModelDirs(dir_), store.lock_timeout_seconds_) {
  Recover();
}

void ModelStore::Writer::Recover() {
  // Staging directories exist only while their writer holds the lock; we hold
  // it now, so any left are from a writer that died.
  const std::string staging = dir_ + "/.staging";
  if (IsDirectory(staging)) {
    for (const auto& entry : ListDirectory(staging)) RemoveTree(staging + "/" + entry);
  }
  // Bring the audit log up to date with what the store holds.
  const AuditLog log = ReadAuditLog(store_.AuditPath(name_));
  std::set<int64_t> registered;
  std::map<std::string, int64_t> audited_alias;
  for (const auto& r : log.records) {
    const std::string event = r.value("event", "");
    if ((event == "register" || (event == "recover" && r.value("what", "") == "register")) && r.contains("version")) {
      registered.insert(r["version"].get<int64_t>());
    }
    if ((event == "promote" || event == "alias" || event == "rollback" ||
         (event == "recover" && r.value("what", "") == "alias")) &&
        r.contains("alias") && r.contains("version")) {
      audited_alias[r["alias"].get<std::string>()] = r["version"].get<int64_t>();
    }
  }
  for (int64_t v : store_.Versions(name_)) {
    if (registered.count(v)) continue;
    Audit({{"event", "recover"},
           {"what", "register"},
           {"version", v},
           {"note", "the version was stored but its registering job died before auditing it"}});
  }
  for (const auto& [alias, v] : store_.Aliases(name_)) {
    auto it = audited_alias.find(alias);
    if (it != audited_alias.end() && it->second == v) continue;
    Audit({{"event", "recover"},
           {"what", "alias"},
           {"alias", alias},
           {"version", v},
           {"note", "the alias was moved but the moving job died before auditing it"}});
  }
}

int64_t ModelStore::Writer::Register(const std::vector<StoreFile>& files, const nlohmann::json& manifest_fields,
                                     const nlohmann::json& audit_fields) {
  const auto versions = store_.Versions(name_);
  const int64_t version = versions.empty() ? 1 : versions.back() + 1;
  const std::string staging = Format("%s/.staging/%lld.%s.%d", dir_.c_str(), static_cast<long long>(version),
                                     HostName().c_str(), static_cast<int>(getpid()));
  MakeDirectories(staging);
  std::vector<std::string> names;
  for (const auto& f : files) {
    if (f.name == kManifestFileName || f.name.find('/') != std::string::npos) {
      ThrowInternal("bad stored file name '%s'", f.name.c_str());
    }
    CopyFileSynced(f.source_path, staging + "/" + f.name);
    names.push_back(f.name);
  }
  nlohmann::json manifest = manifest_fields;
  manifest["format"] = kManifestFormatName;
  manifest["format_version"] = kManifestFormatVersion;
  manifest["model"] = name_;
  manifest["version"] = version;
  manifest["files"] = HashFiles(staging, names);
  manifest["registered_utc"] = NowUtcIso8601();
  manifest["user"] = UserName();
  manifest["host"] = HostName();
  const char* job = std::getenv("SLURM_JOB_ID");
  manifest["slurm_job_id"] = job ? nlohmann::json(job) : nlohmann::json();
  WriteFileAtomic(staging + "/" + kManifestFileName, manifest.dump(2) + "\n");
  for (const auto& name : names) chmod((staging + "/" + name).c_str(), 0444);
  chmod((staging + "/" + kManifestFileName).c_str(), 0444);
  FsyncPath(staging);
  TestPause("staged");

  const std::string final_dir = store_.VersionDir(name_, version);
  if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
    ThrowErrno(Format("cannot publish version %lld of '%s' (is another writer ignoring the lock?)",
                      static_cast<long long>(version), name_.c_str()));
  }
  FsyncPath(dir_ + "/versions");
  TestPause("registered");
  nlohmann::json record = audit_fields;
  record["event"] = "register";
  record["version"] = version;
  record["files"] = manifest["files"];
  Audit(record);
  return version;
}

void ModelStore::Writer::MoveAlias(const std::string& alias, int64_t version, const std::string& event,
                                   nlohmann::json audit_fields) {
  ValidateStoreName("alias", alias);
  store_.RequireVersion(name_, version);
  const auto from = AliasVersion(alias);
  nlohmann::json pointer = {{"alias", alias}, {"version", version}, {"set_utc", NowUtcIso8601()},
                            {"event", event}, {"user", UserName()}, {"host", HostName()}};
  WriteFileAtomic(dir_ + "/aliases/" + alias + ".json", pointer.dump(2) + "\n");
  TestPause("aliased");
  audit_fields["event"] = event;
  audit_fields["alias"] = alias;
  audit_fields["version"] = version;
  audit_fields["from_version"] = from ? nlohmann::json(*from) : nlohmann::json();
  Audit(audit_fields);
}

void ModelStore::Writer::Audit(nlohmann::json record) {
  record["model"] = name_;
  AppendAuditRecord(store_.AuditPath(name_), std::move(record));
}

}  // namespace aif
