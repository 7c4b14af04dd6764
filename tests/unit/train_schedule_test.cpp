// Learning-rate schedules and optimizer semantics the trainer relies on.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "nn/model.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace aif {
namespace {

TEST(LrSchedule, WarmupThenDecay) {
  LrSchedule s;
  s.base_lr = 0.1;
  s.warmup_steps = 10;
  s.total_steps = 110;
  EXPECT_NEAR(s.At(0), 0.01, 1e-12);
  EXPECT_NEAR(s.At(9), 0.1, 1e-12);
  EXPECT_NEAR(s.At(50), 0.1, 1e-12);  // constant
  s.kind = "cosine";
  s.min_lr = 0.001;
  EXPECT_NEAR(s.At(10), 0.1, 1e-12);
  EXPECT_NEAR(s.At(60), 0.001 + 0.099 * 0.5, 1e-12);
  EXPECT_NEAR(s.At(110), 0.001, 1e-12);
  s.kind = "step";
  s.step_size = 30;
  s.gamma = 0.5;
  EXPECT_NEAR(s.At(39), 0.1, 1e-12);
  EXPECT_NEAR(s.At(40), 0.05, 1e-12);
  EXPECT_NEAR(s.At(100), 0.0125, 1e-12);
  s.kind = "linear";
  EXPECT_THROW(s.Validate(), Error);
}

TEST(Optimizer, SgdDecaysWeightsButNotBiases) {
  auto m = Model::Build("linear(2)", {3}, 2);
  m->Initialize(1);
  std::vector<float> before(m->params().data<float>(), m->params().data<float>() + m->num_params());
  m->grads().SetZero();
  OptimizerConfig c;
  c.momentum = 0;
  c.weight_decay = 0.5;
  auto opt = Optimizer::Create(c, *m);
  opt->Step(*m, 0.1);
  const float* p = m->params().data<float>();
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(p[i], before[i] * (1 - 0.1f * 0.5f));  // weights
  for (int i = 6; i < 8; ++i) EXPECT_FLOAT_EQ(p[i], before[i]);                      // biases
  EXPECT_EQ(opt->steps_taken(), 1);
  c.name = "adamw";
  EXPECT_EQ(Optimizer::Create(c, *m)->State().size(), 2u);
  c.name = "lion";
  EXPECT_THROW(Optimizer::Create(c, *m), Error);
}

}  // namespace
}  // namespace aif
