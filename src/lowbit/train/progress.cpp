// The console status line: '\r' redraws, erase-to-end-of-line for shorter text, ETA from the
// mean step time of this process (so a resumed run does not count the steps it skipped).
#include "lowbit/train/progress.h"

#include <unistd.h>

#include <cmath>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
constexpr double kMinRedrawSeconds = 0.2;

// "45s", "3m05s", "2h07m"
std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t < 60)
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(t));
  else if (t < 3600)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(t / 60),
                  static_cast<long long>(t % 60));
  else
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(t / 3600),
                  static_cast<long long>(t / 60 % 60));
  return buf;
}
}  // namespace

Progress::Progress(int64_t total_steps, int64_t log_every, std::FILE* out)
    : total_(total_steps),
      log_every_(log_every),
      out_(out),
      tty_(isatty(fileno(out)) == 1),
      t0_(Clock::now()),
      last_draw_(t0_) {
  LB_CHECK(log_every > 0, "[progress] log_every = ", log_every, ", expected > 0 (train.log_every)");
}

Progress::~Progress() {
  if (tty_ && shown_ && !finished_) std::fputc('\n', out_);
}

std::string Progress::status_text() const {
  double elapsed = std::chrono::duration<double>(Clock::now() - t0_).count();
  int64_t done = step_ - first_step_;
  double eta =
      done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - step_) : -1;
  char buf[160];
  double pct = total_ > 0 ? 100.0 * static_cast<double>(step_) / static_cast<double>(total_) : 0;
  int n = std::snprintf(buf, sizeof(buf), "step %lld/%lld (%.1f%%)  loss %.4f",
                        static_cast<long long>(step_), static_cast<long long>(total_), pct, loss_);
  std::string s(buf, static_cast<size_t>(n));
  if (rate_ >= 0) {
    std::snprintf(buf, sizeof(buf), "  %.0f %s/s", rate_, unit_.c_str());
    s += buf;
  }
  s += "  elapsed " + duration_text(elapsed);
  if (step_ < total_) s += "  ETA " + duration_text(eta);
  return s;
}

void Progress::draw() {
  // '\r' returns to the line start and ESC[K erases what a longer previous line left.
  std::fprintf(out_, "\r%s\033[K", status_text().c_str());
  std::fflush(out_);
  shown_ = true;
  last_draw_ = Clock::now();
}

void Progress::update(int64_t step, double loss, double rate, const char* unit) {
  if (finished_) return;
  if (first_step_ < 0) first_step_ = step - 1;
  step_ = step;
  loss_ = loss;
  if (rate >= 0) rate_ = rate;
  unit_ = unit;
  if (tty_) {
    double since = std::chrono::duration<double>(Clock::now() - last_draw_).count();
    if (since >= kMinRedrawSeconds || step == total_ || !shown_) draw();
  } else if (step % log_every_ == 0 || step == total_) {
    std::fprintf(out_, "%s\n", status_text().c_str());
    std::fflush(out_);
  }
}

void Progress::note(const std::string& msg) {
  if (tty_ && shown_) {
    std::fprintf(out_, "\r\033[K%s\n", msg.c_str());
    draw();
  } else {
    std::fprintf(out_, "%s\n", msg.c_str());
    std::fflush(out_);
  }
}

void Progress::finish() {
  if (finished_) return;
  if (tty_ && first_step_ >= 0) {
    draw();
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  finished_ = true;
}

}  // namespace lowbit
