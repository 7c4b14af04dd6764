// aif promote: registers a candidate (a model and its evaluation report) as
// a new version in the model store, checks the policy's gates against the
// version the alias names now (the champion), and moves the alias only when
// every gate passes. The decision and each gate's numbers are printed and
// audited. Exit 0: promoted; kExitRejected: registered but not promoted.
#include <optional>

#include "comm/communicator.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "jobs/job.h"
#include "jobs/model_evaluation.h"
#include "jobs/store_selection.h"
#include "nn/model_file.h"
#include "registry/gates.h"
#include "registry/manifest.h"
#include "registry/model_store.h"
#include "registry/store_names.h"

namespace aif {
namespace {

constexpr int kExitRejected = 10;

struct Candidate {
  std::string model_path, report_path, html_path, metrics_path;
  nlohmann::json report;
  std::string params_sha256;
};

nlohmann::json ReadReport(const std::string& path) {
  if (!PathExists(path)) ThrowUsage("the report '%s' does not exist", path.c_str());
  auto report = nlohmann::json::parse(ReadFileToString(path), nullptr, false);
  if (report.is_discarded() || !report.is_object() || report.value("format", "") != "aif.report") {
    ThrowData("'%s' is not an aif report (report.json written by aif evaluate)", path.c_str());
  }
  return report;
}

Candidate FindCandidate(const std::string& run_dir, const std::string& model, const std::string& report) {
  Candidate c;
  if (!run_dir.empty()) {
    if (!model.empty() || !report.empty()) ThrowUsage("give either --candidate RUN or --model with --report");
    c.model_path = run_dir + "/model.h5";
    c.report_path = run_dir + "/eval/report.json";
    if (!PathExists(c.report_path)) {
      ThrowUsage("'%s' has no evaluation report; run 'aif evaluate --model %s --data DATA.h5 --out %s/eval' first, "
                 "or give --model and --report",
                 run_dir.c_str(), c.model_path.c_str(), run_dir.c_str());
    }
  } else {
    if (model.empty() || report.empty()) ThrowUsage("give --candidate RUN, or --model MODEL.h5 with --report REPORT.json");
    c.model_path = model;
    c.report_path = report;
  }
  if (!PathExists(c.model_path)) ThrowUsage("the candidate model '%s' does not exist", c.model_path.c_str());
  c.report = ReadReport(c.report_path);
  c.params_sha256 = ReadModelFile(c.model_path).params_sha256;  // verifies the model's checksum
  const std::string reported = c.report.contains("model") ? c.report["model"].value("params_sha256", "") : "";
  if (reported != c.params_sha256) {
    ThrowData("the report '%s' describes another model (params %.12s, the candidate's are %.12s); evaluate this model",
              c.report_path.c_str(), reported.c_str(), c.params_sha256.c_str());
  }
  const std::string html = ParentDirectory(c.report_path) + "/report.html";
  if (PathExists(html)) c.html_path = html;
  const std::string metrics = ParentDirectory(c.model_path) + "/metrics.jsonl";
  if (PathExists(metrics)) c.metrics_path = metrics;
  return c;
}

nlohmann::json MetricsSummary(const nlohmann::json& report) {
  nlohmann::json m = {{"task", report.value("task", "")}, {"split", report.value("split", "")}};
  for (const char* key : {"samples", "accuracy", "loss", "macro_f1", "weighted_f1", "mae", "rmse", "r2"}) {
    if (report.contains(key)) m[key] = report[key];
  }
  if (report.contains("calibration")) m["ece"] = report["calibration"].value("ece", 0.0);
  if (report.contains("top_k")) m["top_k"] = report["top_k"];
  return m;
}

bool SameData(const nlohmann::json& a, const nlohmann::json& b) {
  return a.value("split", "") == b.value("split", "") && a.contains("dataset") && b.contains("dataset") &&
         a["dataset"].value("fingerprint", "") == b["dataset"].value("fingerprint", "");
}

void PrintDecision(const PromotionDecision& d, const std::string& name, int64_t version, const std::string& alias,
                   std::optional<int64_t> champion) {
  std::string champ = champion ? Format("version %lld", static_cast<long long>(*champion)) : "none";
  LogInfo("gates for %s version %lld -> '%s' (champion: %s):", name.c_str(), static_cast<long long>(version),
          alias.c_str(), champ.c_str());
  if (d.gates.empty()) LogInfo("  (the policy has no gates)");
  for (const auto& g : d.gates) {
    LogInfo("  %s %-10s %s: %s", g.passed ? "PASS" : "FAIL", g.gate.c_str(), g.check.c_str(), g.detail.c_str());
  }
}

}  // namespace

int PromoteMain(int argc, char** argv, JobContext& ctx) {
  StoreSelection sel;
  std::string run_dir, model_path, report_path, alias, policy_path;
  double lock_timeout = 600;
  int64_t batch_size = 1000;
  bool register_only = false;
  JobOptions options("promote",
                     "aif promote --name NAME --candidate RUN | --model MODEL.h5 --report REPORT.json "
                     "[--alias production] [--policy POLICY.ini] [options]",
                     "Registers the candidate as a new version of NAME in the model store (model, report.json,\n"
                     "report.html, the run's metrics.jsonl and a manifest with their SHA-256), then checks the\n"
                     "policy's gates against the version the alias names now, and moves the alias only when every\n"
                     "gate passes. When the champion was evaluated on other data, it is evaluated again on the\n"
                     "candidate's dataset and split (sharded over the ranks this job runs on). Exit codes: 0\n"
                     "promoted, 10 rejected (the version stays registered), others as for every job.");
  AddStoreOptions(&options, &sel, /*select_version=*/false);
  options.AddOptional<std::string>("candidate", &run_dir, "a training run directory with model.h5 and eval/report.json")
      .AddOptional<std::string>("model", &model_path, "the candidate model file (with --report)")
      .AddOptional<std::string>("report", &report_path, "the candidate's report.json (report.html beside it is stored too)")
      .Add<std::string>("alias", &alias, "production", "the alias to move when the gates pass")
      .AddOptional<std::string>("policy", &policy_path, "the gates, an INI file (docs/store.md); none: no gates")
      .AddFlag("register-only", &register_only, "register the version, check no gates and move no alias")
      .Add<double>("lock-timeout", &lock_timeout, 600.0, "seconds to wait for another writer of the same model")
      .Add<int64_t>("batch-size", &batch_size, 1000, "global batch size when the champion is evaluated again");
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  Candidate cand;
  PromotionPolicy policy;
  ModelStore store(sel.store, lock_timeout);
  std::optional<int64_t> champion;
  nlohmann::json champion_stored, champion_on_data;
  bool evaluate_champion = false;
  std::string champion_model;
  RunCollectively(ctx, [&] {
    if (sel.name.empty()) ThrowUsage("--name is required (the model's name in the store)");
    ValidateStoreName("model name", sel.name);
    ValidateStoreName("alias", alias);
    if (lock_timeout <= 0) ThrowUsage("--lock-timeout must be positive");
    cand = FindCandidate(run_dir, model_path, report_path);
    if (!policy_path.empty()) policy = ReadPromotionPolicy(policy_path);
    if (register_only) return;
    if (IsDirectory(store.ModelDir(sel.name) + "/versions")) champion = store.AliasVersion(sel.name, alias);
    if (!champion) return;
    const std::string dir = store.VerifiedVersionDir(sel.name, *champion);
    champion_stored = ReadReport(dir + "/report.json");
    champion_model = dir + "/model.h5";
    const bool compares = !policy.champion_metric.empty() || !policy.per_class_metric.empty();
    if (SameData(champion_stored, cand.report)) {
      champion_on_data = champion_stored;
    } else if (compares) {
      const std::string data = cand.report["dataset"].value("path", "");
      if (!PathExists(data)) {
        ThrowUsage("the champion (version %lld) was evaluated on other data, and the candidate's dataset '%s' is not "
                   "here to evaluate it again",
                   static_cast<long long>(*champion), data.c_str());
      }
      evaluate_champion = true;
    }
  });
  if (evaluate_champion) {
    LogInfo("the champion (%s version %lld) was evaluated on other data; evaluating it on %s, split %s",
            sel.name.c_str(), static_cast<long long>(*champion), cand.report["dataset"].value("path", "").c_str(),
            cand.report.value("split", "").c_str());
    try {
      champion_on_data = EvaluateModel(ctx, champion_model, cand.report["dataset"].value("path", ""),
                                       cand.report.value("split", ""), batch_size, "cpu",
                                       cand.report["dataset"].value("label_column", ""));
    } catch (const Error& e) {
      if (!e.collective() || e.kind() != ErrorKind::kData) throw;
      // Every rank holds the same error: say which model failed and why that
      // stops the comparison, and what the user can do instead.
      throw Error(e.kind(),
                  Format("the champion (%s version %lld) cannot be evaluated on the candidate's data, so the two "
                         "cannot be compared: %s. Promote under another --name, or use a policy without [champion] "
                         "and [per_class] gates",
                         sel.name.c_str(), static_cast<long long>(*champion), e.what()),
                  /*collective=*/true);
    }
    RunCollectively(ctx, [&] {
      if (!SameData(champion_on_data, cand.report)) {
        ThrowData("the candidate's dataset changed since it was evaluated (fingerprint differs); evaluate it again");
      }
    });
  }

  int exit_code = 0;
  RunOnRoot(ctx, [&] {
    auto writer = store.Lock(sel.name);
    std::vector<StoreFile> files = {{cand.model_path, "model.h5"}, {cand.report_path, "report.json"}};
    if (!cand.html_path.empty()) files.push_back({cand.html_path, "report.html"});
    if (!cand.metrics_path.empty()) files.push_back({cand.metrics_path, "metrics.jsonl"});
    const nlohmann::json& r = cand.report;
    nlohmann::json manifest = {
        {"params_sha256", cand.params_sha256},
        {"metrics", MetricsSummary(r)},
        {"source", {{"model", AbsolutePath(cand.model_path)}, {"report", AbsolutePath(cand.report_path)}}},
        {"lineage",
         {{"spec", r["model"].value("spec", "")},
          {"trained_on", r["model"].value("trained_on", "")},
          {"training", r["model"].value("training", nlohmann::json::object())},
          {"evaluation", {{"dataset", r.value("dataset", nlohmann::json::object())},
                          {"split", r.value("split", "")},
                          {"job", r.value("lineage", nlohmann::json::object())}}},
          {"registration", JobLineage(ctx, options)}}}};
    const int64_t version = writer->Register(files, manifest, {{"params_sha256", cand.params_sha256}});
    LogInfo("registered %s version %lld in %s", sel.name.c_str(), static_cast<long long>(version), store.root().c_str());
    if (register_only) return;

    // The alias may have moved while the champion was being evaluated.
    const auto now = writer->AliasVersion(alias);
    PromotionDecision decision;
    if (now != champion) {
      decision.gates.push_back({"champion", "the champion did not change during promotion", false,
                                Format("'%s' moved to version %lld meanwhile; run aif promote again", alias.c_str(),
                                       static_cast<long long>(now.value_or(0)))});
    } else {
      ChampionReports reports;
      if (champion) reports = {&champion_on_data, &champion_stored};
      decision = DecidePromotion(policy, cand.report, reports);
    }
    PrintDecision(decision, sel.name, version, alias, champion);
    nlohmann::json audit = decision.ToJson();
    audit["policy"] = policy_path.empty() ? nlohmann::json() : nlohmann::json(AbsolutePath(policy_path));
    audit["champion_version"] = champion ? nlohmann::json(*champion) : nlohmann::json();
    audit["champion_reevaluated"] = evaluate_champion;
    if (decision.promote) {
      writer->MoveAlias(alias, version, "promote", audit);
      LogInfo("PROMOTED %s version %lld to '%s'", sel.name.c_str(), static_cast<long long>(version), alias.c_str());
    } else {
      audit["event"] = "reject";
      audit["alias"] = alias;
      audit["version"] = version;
      writer->Audit(audit);
      LogInfo("REJECTED %s version %lld for '%s' (it stays registered; '%s' still names %s)", sel.name.c_str(),
              static_cast<long long>(version), alias.c_str(), alias.c_str(),
              champion ? Format("version %lld", static_cast<long long>(*champion)).c_str() : "no version");
      exit_code = kExitRejected;
    }
  });
  if (ctx.world_size > 1) {
    auto comm = MakeMpiCommunicator();
    exit_code = static_cast<int>(comm->AllReduceInt(exit_code, ReduceOp::kMax));
  }
  return exit_code;
}

}  // namespace aif
