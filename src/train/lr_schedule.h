// Learning-rate schedules as pure functions of the step, so a resumed run
// continues exactly: constant, step decay, and cosine decay; each optionally
// after a linear warm-up from base_lr / warmup_steps to base_lr.
#pragma once

#include <cstdint>
#include <string>

namespace aif {

struct LrSchedule {
  std::string kind = "constant";  // constant, step, cosine
  double base_lr = 0.1;
  int64_t warmup_steps = 0;
  int64_t step_size = 0;  // step: decay every step_size steps
  double gamma = 0.1;     // step: factor per decay
  double min_lr = 0.0;    // cosine: floor
  int64_t total_steps = 1;

  // Throws kUsage for unknown kinds or inconsistent values.
  void Validate() const;
  // Learning rate of 0-based optimizer step `step`.
  double At(int64_t step) const;
};

}  // namespace aif
