// Learning-rate schedules as pure functions of the step (see schedule.h for the formulas).
// All arithmetic is in double from integers, so any two processes agree bit for bit.
#include "lowbit/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "lowbit/core/error.h"

namespace lowbit::optim {

ScheduleKind schedule_kind_from_name(std::string_view name) {
  if (name == "constant") return ScheduleKind::constant;
  if (name == "linear") return ScheduleKind::linear;
  if (name == "cosine") return ScheduleKind::cosine;
  LB_FAIL("[schedule] unknown kind '", name, "' (allowed: constant, linear, cosine)");
}

const char* schedule_kind_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::constant:
      return "constant";
    case ScheduleKind::linear:
      return "linear";
    case ScheduleKind::cosine:
      return "cosine";
  }
  return "?";
}

LrSchedule::LrSchedule(const ScheduleConfig& c) : config_(c) {
  LB_CHECK(c.peak_lr >= 0 && std::isfinite(c.peak_lr), "[schedule] peak_lr = ", c.peak_lr,
           ", expected a finite value >= 0");
  LB_CHECK(c.warmup_steps >= 0, "[schedule] warmup_steps = ", c.warmup_steps, ", expected >= 0");
  if (c.kind != ScheduleKind::constant)
    LB_CHECK(c.total_steps > c.warmup_steps, "[schedule] ", schedule_kind_name(c.kind),
             " needs total_steps > warmup_steps; got total_steps = ", c.total_steps,
             ", warmup_steps = ", c.warmup_steps);
}

double LrSchedule::lr_at(int64_t step) const {
  LB_CHECK(step >= 0, "[schedule] lr_at(", step, "): step must be >= 0");
  const ScheduleConfig& c = config_;
  if (step < c.warmup_steps)
    return c.peak_lr * static_cast<double>(step) / static_cast<double>(c.warmup_steps);
  switch (c.kind) {
    case ScheduleKind::constant:
      return c.peak_lr;
    case ScheduleKind::linear: {
      double left = static_cast<double>(std::max<int64_t>(0, c.total_steps - step));
      return c.peak_lr * left / static_cast<double>(c.total_steps - c.warmup_steps);
    }
    case ScheduleKind::cosine: {
      double progress = static_cast<double>(step - c.warmup_steps) /
                        static_cast<double>(c.total_steps - c.warmup_steps);
      progress = std::min(progress, 1.0);
      return c.peak_lr * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    }
  }
  return 0.0;
}

}  // namespace lowbit::optim
