#include "registry/gates.h"

#include <cmath>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace aif {
namespace {

double ParsePolicyNumber(const std::string& value, const std::string& where) {
  const auto v = ParseDouble(value);
  if (!v || !std::isfinite(*v)) ThrowUsage("%s: '%s' is not a number", where.c_str(), value.c_str());
  return *v;
}

std::string Fixed(double v) { return Format("%.6g", v); }

std::string DatasetOf(const nlohmann::json& report, const char* key) {
  if (!report.contains("dataset") || !report["dataset"].is_object()) return "";
  return report["dataset"].value(key, "");
}

}  // namespace

PromotionPolicy ParsePromotionPolicy(const std::string& text, const std::string& source) {
  PromotionPolicy p;
  p.source = source;
  std::istringstream in(text);
  std::string raw, section;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string where = Format("%s:%d", source.c_str(), line_no);
    std::string line(Trim(raw.substr(0, raw.find_first_of("#;"))));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') ThrowUsage("%s: a section header must look like [name]", where.c_str());
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      if (section != "thresholds" && section != "champion" && section != "per_class" && section != "lineage") {
        ThrowUsage("%s: unknown section [%s] (known: thresholds, champion, per_class, lineage)", where.c_str(),
                   section.c_str());
      }
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) ThrowUsage("%s: expected 'key = value'", where.c_str());
    const std::string key(Trim(line.substr(0, eq)));
    const std::string value(Trim(line.substr(eq + 1)));
    if (section.empty()) ThrowUsage("%s: '%s' is outside a section", where.c_str(), key.c_str());
    if (section == "thresholds") {
      MetricBound b;
      if (StartsWith(key, "min.")) b.is_min = true;
      else if (StartsWith(key, "max.")) b.is_min = false;
      else ThrowUsage("%s: threshold keys look like min.METRIC or max.METRIC, not '%s'", where.c_str(), key.c_str());
      b.metric = key.substr(4);
      b.bound = ParsePolicyNumber(value, where);
      p.thresholds.push_back(b);
    } else if (section == "champion") {
      if (key == "metric") p.champion_metric = value;
      else if (key == "min_delta") p.champion_min_delta = ParsePolicyNumber(value, where);
      else if (key == "min_relative_delta") p.champion_min_relative_delta = ParsePolicyNumber(value, where);
      else ThrowUsage("%s: unknown key '%s' in [champion] (known: metric, min_delta, min_relative_delta)", where.c_str(), key.c_str());
    } else if (section == "per_class") {
      if (key == "metric") {
        if (value != "precision" && value != "recall" && value != "f1") {
          ThrowUsage("%s: [per_class] metric must be precision, recall or f1, not '%s'", where.c_str(), value.c_str());
        }
        p.per_class_metric = value;
      } else if (key == "max_drop") {
        p.per_class_max_drop = ParsePolicyNumber(value, where);
      } else {
        ThrowUsage("%s: unknown key '%s' in [per_class] (known: metric, max_drop)", where.c_str(), key.c_str());
      }
    } else {  // lineage
      if (key == "split") {
        p.required_split = value;
      } else if (key == "dataset") {
        if (value != "any" && value != "same" && value != "same_or_newer") {
          ThrowUsage("%s: [lineage] dataset must be any, same or same_or_newer, not '%s'", where.c_str(), value.c_str());
        }
        p.required_dataset = value;
      } else {
        ThrowUsage("%s: unknown key '%s' in [lineage] (known: split, dataset)", where.c_str(), key.c_str());
      }
    }
  }
  return p;
}

PromotionPolicy ReadPromotionPolicy(const std::string& path) {
  if (!PathExists(path)) ThrowUsage("the policy file '%s' does not exist", path.c_str());
  return ParsePromotionPolicy(ReadFileToString(path), path);
}

std::optional<double> ReportMetric(const nlohmann::json& report, const std::string& path) {
  const nlohmann::json* node = &report;
  for (const auto& part : Split(path, '.')) {
    if (!node->is_object() || !node->contains(part)) return std::nullopt;
    node = &(*node)[part];
  }
  if (!node->is_number()) return std::nullopt;
  return node->get<double>();
}

bool LowerIsBetter(const std::string& metric) {
  for (const char* word : {"loss", "mae", "rmse", "ece", "error"}) {
    if (metric.find(word) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json GateResult::ToJson() const {
  return {{"gate", gate}, {"check", check}, {"passed", passed}, {"detail", detail}};
}

nlohmann::json PromotionDecision::ToJson() const {
  nlohmann::json gates_json = nlohmann::json::array();
  for (const auto& g : gates) gates_json.push_back(g.ToJson());
  return {{"decision", promote ? "promoted" : "rejected"}, {"gates", gates_json}};
}

namespace {

void ThresholdGates(const PromotionPolicy& p, const nlohmann::json& cand, std::vector<GateResult>* out) {
  for (const auto& b : p.thresholds) {
    GateResult g{"thresholds", Format("%s %s %s", b.metric.c_str(), b.is_min ? ">=" : "<=", Fixed(b.bound).c_str()), false, ""};
    const auto v = ReportMetric(cand, b.metric);
    if (!v) {
      g.detail = "the candidate's report has no metric '" + b.metric + "'";
    } else {
      g.passed = b.is_min ? *v >= b.bound : *v <= b.bound;
      g.detail = Format("candidate %s = %s", b.metric.c_str(), Fixed(*v).c_str());
    }
    out->push_back(g);
  }
}

void ChampionGate(const PromotionPolicy& p, const nlohmann::json& cand, const nlohmann::json* champ,
                  std::vector<GateResult>* out) {
  if (p.champion_metric.empty()) return;
  const std::string& m = p.champion_metric;
  const bool lower = LowerIsBetter(m);
  GateResult g{"champion", Format("%s %s champion by >= %s (abs) and >= %s (rel)", m.c_str(),
                                  lower ? "below" : "above", Fixed(p.champion_min_delta).c_str(),
                                  Fixed(p.champion_min_relative_delta).c_str()), false, ""};
  const auto c = ReportMetric(cand, m);
  if (!champ) {
    g.passed = c.has_value();
    g.detail = c ? "no champion yet: the first promotion to this alias" : "the candidate's report has no metric '" + m + "'";
    out->push_back(g);
    return;
  }
  const auto h = ReportMetric(*champ, m);
  if (!c || !h) {
    g.detail = "metric '" + m + "' is missing from the " + (c ? "champion's" : "candidate's") + " report";
  } else if (DatasetOf(cand, "fingerprint") != DatasetOf(*champ, "fingerprint") ||
             cand.value("split", "") != champ->value("split", "")) {
    g.detail = "the champion's report is not on the candidate's dataset and split";
  } else {
    const double delta = lower ? *h - *c : *c - *h;  // > 0 means the candidate is better
    const double rel = *h != 0 ? delta / std::fabs(*h) : (delta > 0 ? INFINITY : 0.0);
    g.passed = delta >= p.champion_min_delta && rel >= p.champion_min_relative_delta;
    g.detail = Format("candidate %s, champion %s: improvement %+.6g (%+.3g%%)", Fixed(*c).c_str(), Fixed(*h).c_str(),
                      delta, 100 * rel);
  }
  out->push_back(g);
}

void PerClassGate(const PromotionPolicy& p, const nlohmann::json& cand, const nlohmann::json* champ,
                  std::vector<GateResult>* out) {
  if (p.per_class_metric.empty()) return;
  const std::string& m = p.per_class_metric;
  GateResult g{"per_class", Format("no class's %s drops by more than %s", m.c_str(), Fixed(p.per_class_max_drop).c_str()), false, ""};
  if (cand.value("task", "") != "classification") {
    g.passed = true;
    g.detail = "not a classification model: nothing to compare";
  } else if (!champ) {
    g.passed = true;
    g.detail = "no champion yet";
  } else if (DatasetOf(cand, "fingerprint") != DatasetOf(*champ, "fingerprint")) {
    g.detail = "the champion's report is not on the candidate's dataset";
  } else {
    std::map<std::string, double> champion_values;
    for (const auto& row : champ->value("per_class", nlohmann::json::array())) {
      champion_values[row.value("name", "")] = row.value(m, 0.0);
    }
    double worst = -INFINITY;
    std::string worst_class;
    for (const auto& row : cand.value("per_class", nlohmann::json::array())) {
      auto it = champion_values.find(row.value("name", ""));
      if (it == champion_values.end()) continue;
      const double drop = it->second - row.value(m, 0.0);
      if (drop > worst) {
        worst = drop;
        worst_class = it->first;
      }
    }
    if (worst_class.empty()) {
      g.detail = "the reports share no classes";
    } else {
      g.passed = worst <= p.per_class_max_drop;
      g.detail = Format("largest drop %+.4f in class '%s'", worst, worst_class.c_str());
    }
  }
  out->push_back(g);
}

void LineageGates(const PromotionPolicy& p, const nlohmann::json& cand, const nlohmann::json* stored,
                  std::vector<GateResult>* out) {
  if (!p.required_split.empty()) {
    GateResult g{"lineage", "evaluated on split '" + p.required_split + "'", false, ""};
    g.passed = cand.value("split", "") == p.required_split;
    g.detail = "the candidate was evaluated on split '" + cand.value("split", "") + "'";
    out->push_back(g);
  }
  if (p.required_dataset == "any") return;
  GateResult g{"lineage", "evaluated on the champion's dataset" +
                              std::string(p.required_dataset == "same_or_newer" ? " or a newer one" : ""), false, ""};
  if (!stored) {
    g.passed = true;
    g.detail = "no champion yet";
  } else {
    const std::string cf = DatasetOf(cand, "fingerprint"), hf = DatasetOf(*stored, "fingerprint");
    const std::string ct = DatasetOf(cand, "created_utc"), ht = DatasetOf(*stored, "created_utc");
    if (cf == hf && !cf.empty()) {
      g.passed = true;
      g.detail = "same dataset (fingerprint " + cf.substr(0, 12) + ")";
    } else if (p.required_dataset == "same") {
      g.detail = "candidate dataset " + cf.substr(0, 12) + ", champion dataset " + hf.substr(0, 12);
    } else {
      // ISO 8601 UTC strings order as text.
      g.passed = !ct.empty() && !ht.empty() && ct >= ht;
      g.detail = Format("candidate dataset created %s, champion's %s", ct.empty() ? "(unknown)" : ct.c_str(),
                        ht.empty() ? "(unknown)" : ht.c_str());
    }
  }
  out->push_back(g);
}

}  // namespace

PromotionDecision DecidePromotion(const PromotionPolicy& policy, const nlohmann::json& candidate,
                                  const ChampionReports& champion) {
  PromotionDecision d;
  LineageGates(policy, candidate, champion.stored, &d.gates);
  ThresholdGates(policy, candidate, &d.gates);
  ChampionGate(policy, candidate, champion.on_candidate_data, &d.gates);
  PerClassGate(policy, candidate, champion.on_candidate_data, &d.gates);
  d.promote = true;
  for (const auto& g : d.gates) d.promote = d.promote && g.passed;
  return d;
}

}  // namespace aif
