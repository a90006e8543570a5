// Training progress on the console: one status line redrawn in place on a terminal, plain
// lines every log_every steps otherwise (logs, pipes), with messages that do not garble either.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lowbit {

class Progress {
 public:
  // out: where to write; a terminal (isatty) gets the redrawn status line.
  Progress(int64_t total_steps, int64_t log_every, std::FILE* out = stdout);
  ~Progress();  // ends a status line left open (a run stopped by an error)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // step: steps done so far (1 after the first). rate < 0: no new rate; the last one is shown.
  // Terminal: redrawn at most 5 times a second and at the last step. Otherwise: a line when
  // step is a multiple of log_every or the last step.
  void update(int64_t step, double loss, double rate, const char* unit);
  // A full line (an evaluation result, a warning); the status line is redrawn below it.
  void note(const std::string& msg);
  // Draws the final state and ends the status line; later calls do nothing.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  std::string status_text() const;
  void draw();

  int64_t total_, log_every_;
  std::FILE* out_;
  bool tty_;
  Clock::time_point t0_, last_draw_;
  int64_t first_step_ = -1;  // the step count before the first update (resumed runs start late)
  int64_t step_ = 0;
  double loss_ = 0, rate_ = -1;
  std::string unit_;
  bool shown_ = false;  // a status line is on screen, without its newline
  bool finished_ = false;
};

}  // namespace lowbit
