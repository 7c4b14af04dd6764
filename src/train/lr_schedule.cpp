#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace aif {

void LrSchedule::Validate() const {
  if (!(base_lr > 0)) ThrowUsage("--lr must be > 0, got %g", base_lr);
  if (warmup_steps < 0) ThrowUsage("--warmup-steps must be >= 0");
  if (kind == "step") {
    if (step_size <= 0) ThrowUsage("--schedule step needs --step-size > 0");
    if (!(gamma > 0 && gamma <= 1)) ThrowUsage("--gamma must be in (0, 1], got %g", gamma);
  } else if (kind == "cosine") {
    if (min_lr < 0 || min_lr > base_lr) ThrowUsage("--min-lr must be in [0, --lr], got %g", min_lr);
  } else if (kind != "constant") {
    ThrowUsage("--schedule must be constant, step or cosine, got '%s'", kind.c_str());
  }
}

double LrSchedule::At(int64_t step) const {
  if (step < warmup_steps) return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (kind == "step") return base_lr * std::pow(gamma, static_cast<double>((step - warmup_steps) / step_size));
  if (kind == "cosine") {
    const double span = std::max<int64_t>(1, total_steps - warmup_steps);
    const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / span);
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + std::cos(3.141592653589793 * t));
  }
  return base_lr;
}

}  // namespace aif
