// aif registry list|show|rollback|alias|verify: reads and maintains the model
// store (src/registry). Every change (rollback, alias) takes the model's lock
// and is audited; list, show and verify only read. --json prints one JSON
// document for machines instead of text for people.
#include <iostream>

#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "jobs/job.h"
#include "jobs/store_selection.h"
#include "registry/manifest.h"
#include "registry/model_store.h"
#include "registry/store_names.h"

namespace aif {
namespace {

std::string MetricsLine(const nlohmann::json& metrics) {
  std::vector<std::string> parts;
  for (const char* key : {"accuracy", "macro_f1", "loss", "rmse", "r2"}) {
    if (metrics.contains(key) && metrics[key].is_number()) parts.push_back(Format("%s %.4f", key, metrics[key].get<double>()));
  }
  return Join(parts, ", ");
}

nlohmann::json ListJson(const ModelStore& store, const std::string& only) {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& name : store.Models()) {
    if (!only.empty() && name != only) continue;
    nlohmann::json versions = nlohmann::json::array();
    for (int64_t v : store.Versions(name)) {
      nlohmann::json row = {{"version", v}};
      try {
        const auto m = ReadManifest(store.VersionDir(name, v));
        row["registered_utc"] = m.value("registered_utc", "");
        row["metrics"] = m.value("metrics", nlohmann::json::object());
        row["params_sha256"] = m.value("params_sha256", "");
      } catch (const Error& e) {
        row["error"] = e.what();
      }
      versions.push_back(row);
    }
    models.push_back({{"name", name}, {"versions", versions}, {"aliases", store.Aliases(name)}});
  }
  return {{"store", AbsolutePath(store.root())}, {"models", models}};
}

void PrintList(const nlohmann::json& list) {
  std::cout << "store " << list["store"].get<std::string>() << "\n";
  if (list["models"].empty()) std::cout << "  (no models)\n";
  for (const auto& m : list["models"]) {
    std::vector<std::string> aliases;
    for (const auto& [a, v] : m["aliases"].items()) aliases.push_back(a + " -> " + std::to_string(v.get<int64_t>()));
    std::cout << m["name"].get<std::string>() << "  aliases: " << (aliases.empty() ? "none" : Join(aliases, ", ")) << "\n";
    for (const auto& v : m["versions"]) {
      std::cout << Format("  v%-4lld %s  %s\n", static_cast<long long>(v["version"].get<int64_t>()),
                          v.value("registered_utc", "").c_str(),
                          v.contains("error") ? v["error"].get<std::string>().c_str()
                                              : MetricsLine(v["metrics"]).c_str());
    }
  }
}

// The alias's history as a stack: promotions and moves push, rollbacks pop.
std::vector<int64_t> AliasHistory(const AuditLog& log, const std::string& alias) {
  std::vector<int64_t> stack;
  for (const auto& r : log.records) {
    if (r.value("alias", "") != alias || !r.contains("version") || !r["version"].is_number_integer()) continue;
    const std::string event = r.value("event", "");
    const int64_t v = r["version"].get<int64_t>();
    if (event == "promote" || event == "alias" || (event == "recover" && r.value("what", "") == "alias")) {
      stack.push_back(v);
    } else if (event == "rollback") {
      while (!stack.empty() && stack.back() != v) stack.pop_back();
      if (stack.empty()) stack.push_back(v);
    }
  }
  return stack;
}

int Verify(const ModelStore& store, const std::string& only, bool json) {
  nlohmann::json out = {{"store", AbsolutePath(store.root())}, {"models", nlohmann::json::object()}};
  int64_t problems = 0, checked = 0;
  for (const auto& name : store.Models()) {
    if (!only.empty() && name != only) continue;
    nlohmann::json m = {{"versions", nlohmann::json::object()}, {"problems", nlohmann::json::array()},
                        {"warnings", nlohmann::json::array()}};
    for (int64_t v : store.Versions(name)) {
      const auto found = VerifyVersionDir(store.VersionDir(name, v));
      m["versions"][std::to_string(v)] = {{"ok", found.empty()}, {"problems", found}};
      problems += static_cast<int64_t>(found.size());
      ++checked;
      for (const auto& p : found) m["problems"].push_back(p);
    }
    try {
      for (const auto& [alias, v] : store.Aliases(name)) {
        if (!IsDirectory(store.VersionDir(name, v))) {
          m["problems"].push_back(Format("alias '%s' names version %lld, which does not exist", alias.c_str(),
                                         static_cast<long long>(v)));
          ++problems;
        }
      }
    } catch (const Error& e) {
      m["problems"].push_back(e.what());
      ++problems;
    }
    const AuditLog log = ReadAuditLog(store.AuditPath(name));
    if (log.unparsable_lines > 0) {
      m["warnings"].push_back(Format("audit.jsonl has %lld unreadable line(s) (a writer killed mid-append)",
                                     static_cast<long long>(log.unparsable_lines)));
    }
    const std::string staging = store.ModelDir(name) + "/.staging";
    if (IsDirectory(staging) && !ListDirectory(staging).empty()) {
      m["warnings"].push_back("unfinished registrations in .staging (a writer died or is writing now; the next "
                              "writer removes them)");
    }
    out["models"][name] = m;
  }
  out["versions_checked"] = checked;
  out["problems"] = problems;
  out["ok"] = problems == 0;
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& [name, m] : out["models"].items()) {
      for (const auto& p : m["problems"]) std::cout << "TAMPERED " << name << ": " << p.get<std::string>() << "\n";
      for (const auto& w : m["warnings"]) std::cout << "warning " << name << ": " << w.get<std::string>() << "\n";
    }
    std::cout << Format("%s: %lld version(s) checked, %lld problem(s)\n", problems ? "FAILED" : "OK",
                        static_cast<long long>(checked), static_cast<long long>(problems));
  }
  if (problems) {
    throw Error(ErrorKind::kData,
                Format("the store '%s' does not verify: %lld problem(s) (listed above)", store.root().c_str(),
                       static_cast<long long>(problems)));
  }
  return 0;
}

}  // namespace

int RegistryMain(int argc, char** argv, JobContext& ctx) {
  std::string command;
  StoreSelection sel;
  int64_t to_version = 0;
  double lock_timeout = 600;
  bool json = false;
  JobOptions options("registry",
                     "aif registry list|show|rollback|alias|verify [--name NAME] [--alias A] [--version N] [--json]",
                     "Reads and maintains the model store.\n"
                     "  list      models, their versions (with metrics) and aliases\n"
                     "  show      one version (--alias or --version): manifest, metrics and lineage\n"
                     "  rollback  moves --alias back to the version it named before (or --to N); audited\n"
                     "  alias     points --alias at --version N; audited\n"
                     "  verify    checks every file of every version against its manifest's SHA-256 and\n"
                     "            every alias; exit 3 when anything was changed or damaged");
  options.AddPositional("command", &command, "list, show, rollback, alias or verify");
  AddStoreOptions(&options, &sel, /*select_version=*/true);
  options.Add<int64_t>("to", &to_version, 0, "rollback: the version to move the alias to (default: the previous one)")
      .Add<double>("lock-timeout", &lock_timeout, 600.0, "seconds to wait for another writer of the same model")
      .AddFlag("json", &json, "print JSON for machines");
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  int code = 0;
  RunOnRoot(ctx, [&] {
    ModelStore store(sel.store, lock_timeout);
    if (!sel.name.empty()) ValidateStoreName("model name", sel.name);
    // Nothing here creates a store or a model: a mistyped --store or --name
    // is an error, not an empty listing or a new directory.
    store.RequireStore();
    if (!sel.name.empty()) store.RequireModel(sel.name);
    if (command == "list") {
      const auto list = ListJson(store, sel.name);
      if (json) std::cout << list.dump(2) << "\n";
      else PrintList(list);
    } else if (command == "show") {
      if (sel.name.empty()) ThrowUsage("show needs --name and --alias or --version");
      if (sel.alias.empty() && sel.version <= 0) ThrowUsage("show needs --alias or --version");
      const int64_t v = store.ResolveVersion(sel.name, sel.alias, sel.version);
      nlohmann::json shown = ReadManifest(store.VersionDir(sel.name, v));
      nlohmann::json aliases = nlohmann::json::array();
      for (const auto& [a, av] : store.Aliases(sel.name)) {
        if (av == v) aliases.push_back(a);
      }
      shown["aliases"] = aliases;
      shown["path"] = AbsolutePath(store.VersionDir(sel.name, v));
      if (json) {
        std::cout << shown.dump(2) << "\n";
      } else {
        const auto& lin = shown["lineage"];
        std::cout << Format("%s version %lld  (%s)\n", sel.name.c_str(), static_cast<long long>(v),
                            aliases.empty() ? "no aliases" : ("aliases: " + Join(aliases.get<std::vector<std::string>>(), ", ")).c_str());
        std::cout << "  path:        " << shown["path"].get<std::string>() << "\n";
        std::cout << "  registered:  " << shown.value("registered_utc", "") << " by " << shown.value("user", "")
                  << "@" << shown.value("host", "")
                  << (shown["slurm_job_id"].is_string() ? " (Slurm job " + shown["slurm_job_id"].get<std::string>() + ")" : "")
                  << "\n";
        std::cout << "  model:       " << lin.value("spec", "") << ", params " << shown.value("params_sha256", "").substr(0, 16) << "\n";
        std::cout << "  metrics:     " << MetricsLine(shown["metrics"]) << " on split "
                  << shown["metrics"].value("split", "") << "\n";
        std::cout << "  trained on:  " << lin.value("trained_on", "").substr(0, 16) << " (git "
                  << lin["training"].value("git_commit", "?") << ", " << lin["training"].value("world_size", 0)
                  << " rank(s))\n";
        std::cout << "  evaluated:   " << lin["evaluation"]["dataset"].value("path", "") << " ("
                  << lin["evaluation"]["dataset"].value("fingerprint", "").substr(0, 16) << ")\n";
        for (const auto& [file, e] : shown["files"].items()) {
          std::cout << Format("  file %-12s %10llu bytes  sha256 %s\n", file.c_str(),
                              static_cast<unsigned long long>(e.value("bytes", uint64_t{0})), e.value("sha256", "").c_str());
        }
      }
    } else if (command == "rollback" || command == "alias") {
      if (sel.name.empty() || sel.alias.empty()) ThrowUsage("%s needs --name and --alias", command.c_str());
      ValidateStoreName("alias", sel.alias);
      auto writer = store.Lock(sel.name);
      const auto current = writer->AliasVersion(sel.alias);
      int64_t target = command == "alias" ? sel.version : to_version;
      if (command == "alias" && target <= 0) ThrowUsage("alias needs --version N");
      if (command == "rollback") {
        if (!current) ThrowUsage("'%s' names no version of '%s'; nothing to roll back", sel.alias.c_str(), sel.name.c_str());
        if (target <= 0) {
          auto history = AliasHistory(ReadAuditLog(store.AuditPath(sel.name)), sel.alias);
          if (history.size() < 2) {
            ThrowUsage("the audit log records no earlier version for '%s'; give --to N", sel.alias.c_str());
          }
          target = history[history.size() - 2];
        }
        if (target == *current) ThrowUsage("'%s' already names version %lld", sel.alias.c_str(), static_cast<long long>(target));
      }
      store.VerifiedVersionDir(sel.name, target);  // never point an alias at a damaged version
      writer->MoveAlias(sel.alias, target, command, nlohmann::json::object());
      LogInfo("%s: '%s' of %s now names version %lld (was %s)", command.c_str(), sel.alias.c_str(), sel.name.c_str(),
              static_cast<long long>(target),
              current ? std::to_string(*current).c_str() : "none");
    } else if (command == "verify") {
      code = Verify(store, sel.name, json);
    } else {
      ThrowUsage("unknown registry command '%s' (known: list, show, rollback, alias, verify)",
                 command.empty() ? "(none)" : command.c_str());
    }
  });
  return code;
}

}  // namespace aif
