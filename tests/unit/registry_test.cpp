// registry: name rules, the audit log's handling of a torn last line,
// manifests that detect changes, the store's version numbering and aliases,
// and the promotion gates' decisions on small fixed reports.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "registry/audit_log.h"
#include "registry/gates.h"
#include "registry/manifest.h"
#include "registry/model_store.h"
#include "registry/store_names.h"
#include "support/test_util.h"

namespace aif {
namespace {

ErrorKind KindOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  return static_cast<ErrorKind>(0);
}

TEST(StoreNames, AcceptsAndRefuses) {
  for (const char* ok : {"fmnist", "m1", "prod.v2", "a-b_c", "9"}) EXPECT_NO_THROW(ValidateStoreName("alias", ok)) << ok;
  for (const char* bad : {"", "..", "a/b", "a\\b", ".x", "-x", "a..b", "a b", "é"}) {
    EXPECT_EQ(KindOf([&] { ValidateStoreName("model name", bad); }), ErrorKind::kUsage) << bad;
  }
  EXPECT_NO_THROW(ValidateStoreName("alias", std::string(64, 'a')));
  EXPECT_EQ(KindOf([] { ValidateStoreName("alias", std::string(65, 'a')); }), ErrorKind::kUsage);
}

TEST(AuditLog, TornLastLineIsIsolatedAndSkipped) {
  testing::TempDir dir;
  const std::string path = dir.File("audit.jsonl");
  AppendAuditRecord(path, {{"event", "register"}, {"version", 1}});
  {
    std::string text = ReadFileToString(path) + "{\"event\":\"prom";  // a writer killed mid-append
    testing::WriteText(path, text);
  }
  AppendAuditRecord(path, {{"event", "register"}, {"version", 2}});
  const AuditLog log = ReadAuditLog(path);
  ASSERT_EQ(log.records.size(), 2u);
  EXPECT_EQ(log.unparsable_lines, 1);
  EXPECT_EQ(log.records[1]["version"], 2);
  EXPECT_EQ(log.records[0]["user"], UserName());
  EXPECT_FALSE(log.records[0]["time"].get<std::string>().empty());
  EXPECT_TRUE(ReadAuditLog(dir.File("missing")).records.empty());
}

TEST(Manifest, DetectsChangedMissingAndAddedFiles) {
  testing::TempDir dir;
  testing::WriteText(dir.File("a.txt"), "alpha");
  testing::WriteText(dir.File("b.txt"), "beta");
  nlohmann::json m = {{"format", kManifestFormatName}, {"format_version", kManifestFormatVersion},
                      {"files", HashFiles(dir.path(), {"a.txt", "b.txt"})}};
  testing::WriteText(dir.File("manifest.json"), m.dump());
  EXPECT_TRUE(VerifyVersionDir(dir.path()).empty());
  testing::WriteText(dir.File("a.txt"), "alphA");  // same size, other bytes
  testing::WriteText(dir.File("c.txt"), "new");
  RemoveFileIfExists(dir.File("b.txt"));
  const auto problems = VerifyVersionDir(dir.path());
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("a.txt' has SHA-256"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("b.txt' is missing"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("c.txt' is not in the manifest"), std::string::npos) << problems[2];
  testing::WriteText(dir.File("manifest.json"), "{not json");
  EXPECT_EQ(VerifyVersionDir(dir.path()).size(), 1u);
}

TEST(ModelStore, NumbersVersionsMovesAliasesAndRecovers) {
  testing::TempDir dir;
  testing::WriteText(dir.File("model.h5"), "weights");
  ModelStore store(dir.File("store"));
  EXPECT_TRUE(store.Models().empty());
  {
    auto w = store.Lock("m");
    EXPECT_EQ(w->Register({{dir.File("model.h5"), "model.h5"}}, {{"metrics", {{"accuracy", 0.9}}}}, {}), 1);
    EXPECT_EQ(w->Register({{dir.File("model.h5"), "model.h5"}}, {}, {}), 2);
    w->MoveAlias("production", 2, "promote", {});
    EXPECT_EQ(KindOf([&] { w->MoveAlias("production", 7, "alias", {}); }), ErrorKind::kUsage);
  }
  EXPECT_EQ(store.Versions("m"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(store.AliasVersion("m", "production"), 2);
  EXPECT_EQ(store.ResolveVersion("m", "production", 0), 2);
  EXPECT_EQ(store.ResolveVersion("m", "", 1), 1);
  EXPECT_EQ(KindOf([&] { store.ResolveVersion("m", "staging", 0); }), ErrorKind::kUsage);
  EXPECT_EQ(KindOf([&] { store.ResolveVersion("other", "production", 0); }), ErrorKind::kUsage);
  EXPECT_EQ(ReadManifest(store.VersionDir("m", 1))["metrics"]["accuracy"], 0.9);
  EXPECT_EQ(store.VerifiedVersionDir("m", 1), store.VersionDir("m", 1));

  // A writer that died: a staging leftover and an unaudited alias move.
  MakeDirectories(store.ModelDir("m") + "/.staging/3.host.1");
  testing::WriteText(store.ModelDir("m") + "/aliases/production.json", "{\"version\": 1}");
  store.Lock("m");
  EXPECT_TRUE(ListDirectory(store.ModelDir("m") + "/.staging").empty());
  const auto log = ReadAuditLog(store.AuditPath("m"));
  ASSERT_FALSE(log.records.empty());
  EXPECT_EQ(log.records.back()["event"], "recover");
  EXPECT_EQ(log.records.back()["alias"], "production");
  EXPECT_EQ(log.records.back()["version"], 1);
}

nlohmann::json Report(double accuracy, double recall0, const std::string& fingerprint = "fp",
                      const std::string& created = "2026-01-01T00:00:00Z") {
  return {{"task", "classification"},
          {"split", "test"},
          {"accuracy", accuracy},
          {"loss", 1 - accuracy},
          {"calibration", {{"ece", 0.02}}},
          {"dataset", {{"fingerprint", fingerprint}, {"created_utc", created}}},
          {"per_class", {{{"name", "a"}, {"recall", recall0}}, {{"name", "b"}, {"recall", 0.8}}}}};
}

const GateResult& Gate(const PromotionDecision& d, const std::string& gate) {
  for (const auto& g : d.gates) {
    if (g.gate == gate) return g;
  }
  throw std::runtime_error("no gate " + gate);
}

TEST(Gates, ParsesPolicyAndRefusesMistakes) {
  const auto p = ParsePromotionPolicy(
      "# comment\n[thresholds]\nmin.accuracy = 0.88 ; why\nmax.calibration.ece=0.05\n[champion]\nmetric = loss\n"
      "min_delta = 0.01\n[per_class]\nmetric = f1\nmax_drop = 0.02\n[lineage]\nsplit = test\ndataset = same\n",
      "p.ini");
  ASSERT_EQ(p.thresholds.size(), 2u);
  EXPECT_EQ(p.thresholds[1].metric, "calibration.ece");
  EXPECT_FALSE(p.thresholds[1].is_min);
  EXPECT_EQ(p.champion_metric, "loss");
  EXPECT_EQ(p.per_class_metric, "f1");
  EXPECT_EQ(p.required_dataset, "same");
  for (const char* bad : {"[nope]\n", "[thresholds]\naccuracy = 1\n", "[thresholds]\nmin.accuracy = high\n",
                          "min.accuracy = 1\n", "[per_class]\nmetric = auc\n", "[lineage]\ndataset = newest\n"}) {
    EXPECT_EQ(KindOf([&] { ParsePromotionPolicy(bad, "p.ini"); }), ErrorKind::kUsage) << bad;
  }
  try {
    ParsePromotionPolicy("[champion]\n\nmin_delta = x\n", "p.ini");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("p.ini:3"), std::string::npos) << e.what();
  }
}

TEST(Gates, Decisions) {
  PromotionPolicy p;
  p.thresholds = {{"accuracy", true, 0.85}};
  p.champion_metric = "accuracy";
  p.champion_min_delta = 0.01;
  p.per_class_metric = "recall";
  p.per_class_max_drop = 0.05;
  const auto champ = Report(0.86, 0.9);

  // A pass: better by 0.02, no class worse by more than 0.05.
  auto cand = Report(0.88, 0.86);
  auto d = DecidePromotion(p, cand, {&champ, &champ});
  EXPECT_TRUE(d.promote);
  EXPECT_NE(Gate(d, "champion").detail.find("improvement +0.02"), std::string::npos) << Gate(d, "champion").detail;
  // A threshold failure.
  cand = Report(0.84, 0.9);
  d = DecidePromotion(p, cand, {nullptr, nullptr});
  EXPECT_FALSE(d.promote);
  EXPECT_FALSE(Gate(d, "thresholds").passed);
  EXPECT_TRUE(Gate(d, "champion").passed);  // no champion yet
  // The champion margin: better, but by less than 0.01.
  cand = Report(0.865, 0.9);
  d = DecidePromotion(p, cand, {&champ, &champ});
  EXPECT_FALSE(d.promote);
  EXPECT_FALSE(Gate(d, "champion").passed);
  EXPECT_TRUE(Gate(d, "per_class").passed);
  // Per-class regression: class a loses 0.1 recall.
  cand = Report(0.90, 0.8);
  d = DecidePromotion(p, cand, {&champ, &champ});
  EXPECT_FALSE(d.promote);
  EXPECT_FALSE(Gate(d, "per_class").passed);
  EXPECT_NE(Gate(d, "per_class").detail.find("class 'a'"), std::string::npos);
  // Lower-is-better metrics and a relative margin.
  p.champion_metric = "loss";
  p.champion_min_delta = 0;
  p.champion_min_relative_delta = 0.1;  // loss must fall by 10%
  cand = Report(0.875, 0.9);            // loss 0.125 vs 0.14: -10.7%
  EXPECT_TRUE(DecidePromotion(p, cand, {&champ, &champ}).promote);
  cand = Report(0.87, 0.9);  // loss 0.13: -7.1%
  EXPECT_FALSE(DecidePromotion(p, cand, {&champ, &champ}).promote);
  // A champion report on other data cannot be compared.
  const auto elsewhere = Report(0.5, 0.5, "other");
  cand = Report(0.95, 0.95);
  EXPECT_FALSE(DecidePromotion(p, cand, {&elsewhere, &elsewhere}).promote);
  // A missing metric fails its threshold.
  p = PromotionPolicy();
  p.thresholds = {{"r2", true, 0.5}};
  EXPECT_FALSE(DecidePromotion(p, cand, {}).promote);
}

TEST(Gates, Lineage) {
  PromotionPolicy p;
  p.required_split = "test";
  p.required_dataset = "same_or_newer";
  const auto champ = Report(0.9, 0.9, "old", "2026-01-01T00:00:00Z");
  EXPECT_TRUE(DecidePromotion(p, Report(0.9, 0.9, "new", "2026-02-01T00:00:00Z"), {&champ, &champ}).promote);
  EXPECT_FALSE(DecidePromotion(p, Report(0.9, 0.9, "older", "2025-12-01T00:00:00Z"), {&champ, &champ}).promote);
  EXPECT_TRUE(DecidePromotion(p, Report(0.9, 0.9, "old"), {&champ, &champ}).promote);
  p.required_dataset = "same";
  EXPECT_FALSE(DecidePromotion(p, Report(0.9, 0.9, "new", "2026-02-01T00:00:00Z"), {&champ, &champ}).promote);
  auto val = Report(0.9, 0.9, "old");
  val["split"] = "val";
  EXPECT_FALSE(DecidePromotion(p, val, {&champ, &champ}).promote);
  EXPECT_TRUE(ReportMetric(champ, "calibration.ece").has_value());
  EXPECT_FALSE(ReportMetric(champ, "calibration.nope").has_value());
  EXPECT_TRUE(LowerIsBetter("calibration.ece"));
  EXPECT_FALSE(LowerIsBetter("macro_f1"));
}

}  // namespace
}  // namespace aif
