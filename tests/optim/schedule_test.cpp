// Learning-rate schedules at the key steps: start, mid warm-up, peak, mid decay, end, past end.
// Values are exact or within a few ulps of the closed forms.
#include "lowbit/optim/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/error.h"

namespace lowbit::optim {
namespace {

LrSchedule make(const char* kind, int64_t warmup, int64_t total, double peak = 2.0) {
  return LrSchedule({schedule_kind_from_name(kind), peak, warmup, total});
}

TEST(Schedule, Linear) {
  LrSchedule s = make("linear", 10, 110);
  EXPECT_EQ(s.lr_at(0), 0.0);
  EXPECT_EQ(s.lr_at(5), 1.0);
  EXPECT_EQ(s.lr_at(10), 2.0);
  EXPECT_EQ(s.lr_at(60), 1.0);
  EXPECT_EQ(s.lr_at(85), 0.5);
  EXPECT_EQ(s.lr_at(110), 0.0);
  EXPECT_EQ(s.lr_at(500), 0.0);
  // No warm-up: the first update already uses the peak.
  EXPECT_EQ(make("linear", 0, 4).lr_at(0), 2.0);
  EXPECT_EQ(make("linear", 0, 4).lr_at(3), 0.5);
}

TEST(Schedule, Constant) {
  LrSchedule s = make("constant", 4, 0);  // total_steps is not needed
  EXPECT_EQ(s.lr_at(0), 0.0);
  EXPECT_EQ(s.lr_at(1), 0.5);
  EXPECT_EQ(s.lr_at(4), 2.0);
  EXPECT_EQ(s.lr_at(1000000), 2.0);
}

TEST(Schedule, Cosine) {
  LrSchedule s = make("cosine", 10, 110);
  EXPECT_EQ(s.lr_at(5), 1.0);
  EXPECT_EQ(s.lr_at(10), 2.0);
  EXPECT_NEAR(s.lr_at(60), 1.0, 1e-15);                   // half way: cos(pi/2) = 0
  EXPECT_NEAR(s.lr_at(35), 1.0 + std::sqrt(0.5), 1e-15);  // quarter: cos(pi/4)
  EXPECT_EQ(s.lr_at(110), 0.0);
  EXPECT_EQ(s.lr_at(200), 0.0);
}

TEST(Schedule, Errors) {
  try {
    schedule_kind_from_name("step");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("allowed: constant, linear, cosine"), std::string::npos);
  }
  EXPECT_THROW(make("linear", 10, 10), Error);
  EXPECT_THROW(make("cosine", 0, 0), Error);
  EXPECT_THROW(make("constant", -1, 0), Error);
  EXPECT_THROW(make("linear", 0, 10, -1.0), Error);
  EXPECT_THROW(make("linear", 0, 10).lr_at(-1), Error);
}

}  // namespace
}  // namespace lowbit::optim
