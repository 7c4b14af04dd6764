// The model store (docs/store.md): a directory tree on a shared POSIX file
// system.
//
//   <store>/<model>/versions/<n>/   immutable: model.h5, report.json,
//                                   report.html, manifest.json (+ metrics.jsonl)
//   <store>/<model>/aliases/<alias>.json   {"version": n, ...}, one per alias
//   <store>/<model>/audit.jsonl            append-only (registry/audit_log.h)
//   <store>/<model>/.lock                  the writers' lock (store_lock.h)
//   <store>/<model>/.staging/              versions being written
//
// Writers hold the model's lock for a whole change. A version is written
// into .staging, synced, and renamed to versions/<n> (n = highest + 1) in one
// step; an alias is replaced by rename. A reader therefore sees complete
// versions and valid aliases only, without locking. A writer that dies
// leaves at most a staging directory (removed by the next writer) and an
// audit log one record behind (brought up to date by the next writer with a
// "recover" record). rename(2) never replaces a non-empty directory, so an
// existing version is never overwritten even if locking were broken.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "registry/audit_log.h"
#include "registry/store_lock.h"

namespace aif {

// A file to store in a new version: its source and its name in the version.
struct StoreFile {
  std::string source_path;
  std::string name;
};

class ModelStore {
 public:
  // The default store: $AIF_STORE, else ./aif-store.
  static std::string DefaultRoot();
  explicit ModelStore(std::string root, double lock_timeout_seconds = 600);

  const std::string& root() const { return root_; }
  // Paths; `name` is validated (store_names.h).
  std::string ModelDir(const std::string& name) const;
  std::string VersionDir(const std::string& name, int64_t version) const;
  std::string AuditPath(const std::string& name) const { return ModelDir(name) + "/audit.jsonl"; }

  // Reading: no lock needed.
  std::vector<std::string> Models() const;
  std::vector<int64_t> Versions(const std::string& name) const;  // ascending
  std::map<std::string, int64_t> Aliases(const std::string& name) const;
  std::optional<int64_t> AliasVersion(const std::string& name, const std::string& alias) const;
  // Throws kIo when the store's directory does not exist (a mistyped --store
  // or $AIF_STORE; only writers create it).
  void RequireStore() const;
  // Throw kUsage when the model or version does not exist (kIo when the
  // store does not).
  void RequireModel(const std::string& name) const;
  void RequireVersion(const std::string& name, int64_t version) const;
  // The version an alias names, or `version` itself when alias is empty;
  // kUsage when neither exists (listing what does).
  int64_t ResolveVersion(const std::string& name, const std::string& alias, int64_t version) const;
  // Checks every checksum of the version's manifest and returns the
  // version's directory; throws kData naming the first problem.
  std::string VerifiedVersionDir(const std::string& name, int64_t version) const;

  class Writer;
  // Takes the model's lock (creating the model's directories) and brings the
  // store to a consistent state left by any writer that died.
  std::unique_ptr<Writer> Lock(const std::string& name) const;

 private:
  std::string root_;
  double lock_timeout_seconds_;
};

class ModelStore::Writer {
 public:
  Writer(const ModelStore& store, const std::string& name);

  // Copies the files into a new version with a manifest made of
  // `manifest_fields` plus the files' checksums, model, version, time, user,
  // host and Slurm job id; audits a "register" event; returns the version.
  int64_t Register(const std::vector<StoreFile>& files, const nlohmann::json& manifest_fields,
                   const nlohmann::json& audit_fields);
  std::optional<int64_t> AliasVersion(const std::string& alias) const { return store_.AliasVersion(name_, alias); }
  // Points the alias at the version (which must exist) and audits `event`
  // ("promote", "alias", "rollback") with from_version and `audit_fields`.
  void MoveAlias(const std::string& alias, int64_t version, const std::string& event, nlohmann::json audit_fields);
  void Audit(nlohmann::json record);

 private:
  void Recover();

  const ModelStore& store_;
  std::string name_;
  std::string dir_;
  StoreLock lock_;
};

}  // namespace aif
