// Evaluation metrics against values computed by hand on small fixed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/metrics.h"

namespace aif {
namespace {

// Logits that make row r predict pred[r] with confidence about conf[r].
Tensor Logits(const std::vector<int>& pred, int classes) {
  Tensor t = Tensor::Zeros({static_cast<int64_t>(pred.size()), classes});
  for (size_t r = 0; r < pred.size(); ++r) t.data<float>()[r * classes + pred[r]] = 4.0f;
  return t;
}

Tensor Labels(const std::vector<int>& y) {
  Tensor t = Tensor::Empty({static_cast<int64_t>(y.size())}, DType::kI32);
  for (size_t i = 0; i < y.size(); ++i) t.data<int32_t>()[i] = y[i];
  return t;
}

TEST(EvalMetrics, ClassificationByHand) {
  // true:  0 0 0 1 1 2   predicted: 0 0 1 1 2 2   (+ one padding row, ignored)
  std::vector<int> pred = {0, 0, 1, 1, 2, 2, 1}, truth = {0, 0, 0, 1, 1, 2, 2};
  Tensor valid = Tensor::Empty({7}, DType::kU8);
  for (int i = 0; i < 7; ++i) valid.data<uint8_t>()[i] = i < 6;
  ClassificationMetrics m({"a", "b", "c"});
  m.Add(Logits(pred, 3), Labels(truth), valid);
  auto local = MakeLocalCommunicator();
  m.Reduce(*local);
  nlohmann::json j = m.ToJson();
  EXPECT_EQ(j["samples"], 6);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 4.0 / 6);
  EXPECT_EQ(j["confusion_matrix"], nlohmann::json::parse("[[2,1,0],[0,1,1],[0,0,1]]"));
  // a: P 2/2, R 2/3; b: P 1/2, R 1/2; c: P 1/2, R 1/1.
  auto f1 = [](double p, double r) { return 2 * p * r / (p + r); };
  EXPECT_NEAR(j["per_class"][0]["precision"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(j["per_class"][0]["recall"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(j["per_class"][1]["f1"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(j["per_class"][2]["f1"].get<double>(), f1(0.5, 1.0), 1e-12);
  EXPECT_EQ(j["per_class"][0]["support"], 3);
  const double macro = (f1(1.0, 2.0 / 3) + 0.5 + f1(0.5, 1.0)) / 3;
  const double weighted = (3 * f1(1.0, 2.0 / 3) + 2 * 0.5 + 1 * f1(0.5, 1.0)) / 6;
  EXPECT_NEAR(j["macro_f1"].get<double>(), macro, 1e-12);
  EXPECT_NEAR(j["weighted_f1"].get<double>(), weighted, 1e-12);
  // Every row has the same confidence e^4 / (e^4 + 2): one bin, ECE = |acc - conf|.
  const double conf = std::exp(4.0) / (std::exp(4.0) + 2);
  EXPECT_NEAR(j["calibration"]["ece"].get<double>(), std::fabs(4.0 / 6 - conf), 1e-6);
  EXPECT_NEAR(j["loss"].get<double>(), (4 * -std::log(conf) + 2 * -std::log(1 / (std::exp(4.0) + 2))) / 6, 1e-5);
  EXPECT_DOUBLE_EQ(j["top_k"]["3"].get<double>(), 1.0);
}

TEST(EvalMetrics, MacroF1AveragesOverTheClassesThatOccur) {
  // Class "d" is neither a label nor a prediction: it does not count (as in
  // scikit-learn); class "c" is predicted once but never true: it counts, as 0.
  std::vector<int> pred = {0, 0, 1, 2}, truth = {0, 0, 1, 1};
  ClassificationMetrics m({"a", "b", "c", "d"});
  m.Add(Logits(pred, 4), Labels(truth), Tensor());
  auto local = MakeLocalCommunicator();
  m.Reduce(*local);
  nlohmann::json j = m.ToJson();
  const double f1_b = 2 * 1.0 * 0.5 / 1.5;
  EXPECT_NEAR(j["macro_f1"].get<double>(), (1.0 + f1_b + 0.0) / 3, 1e-12);
  EXPECT_NEAR(j["per_class"][3]["f1"].get<double>(), 0.0, 1e-12);
}

TEST(EvalMetrics, RegressionByHand) {
  Tensor pred = Tensor::FromVector({4, 1}, {1, 2, 3, 8});
  Tensor target = Tensor::FromVector({4}, {1, 3, 5, 4});
  RegressionMetrics m;
  m.Add(pred, target, Tensor());
  auto local = MakeLocalCommunicator();
  m.Reduce(*local);
  nlohmann::json j = m.ToJson();
  // residuals 0, -1, -2, 4
  EXPECT_DOUBLE_EQ(j["mae"].get<double>(), 7.0 / 4);
  EXPECT_DOUBLE_EQ(j["rmse"].get<double>(), std::sqrt(21.0 / 4));
  // targets mean 3.25, total sum of squares 8.75
  EXPECT_NEAR(j["r2"].get<double>(), 1 - 21.0 / 8.75, 1e-12);
  EXPECT_EQ(j["residual_quantiles"]["values"][0], -2.0);
  EXPECT_EQ(j["residual_quantiles"]["values"][3], -0.5);  // median of -2, -1, 0, 4
  EXPECT_EQ(j["residual_quantiles"]["values"][6], 4.0);
}

}  // namespace
}  // namespace aif
