// A run's metrics file: JSON lines, one object per logged step, evaluation and the closing
// summary, each with a "kind" field and units in the field names, for plotting and reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lowbit {

// Each line is flushed when written, so a crashed or running job still has readable metrics.
// Within a line the fields measured on the clock come first and the deterministic ones (loss,
// learning rate, accuracy) last, so two runs of one seed can be compared by the line's tail.
//   {"kind":"step","step":50,"epoch":0,"elapsed_s":..,"tokens_per_s":..,"peak_rss_bytes":..,
//    "lr":..,"loss":..}
//   {"kind":"eval","step":..,"epoch":..,"examples":..,"accuracy":..,"loss":..}
//   {"kind":"summary","wall_s":..,"tokens_per_s":..,"peak_rss_bytes":..,"test_accuracy":..}
// A non-finite value is written as null (JSON has no NaN).
class MetricsWriter {
 public:
  // append: keep the lines already there (a resumed run); otherwise start the file afresh.
  MetricsWriter(const std::string& path, bool append);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  // rate in unit per second ("tokens" -> "tokens_per_s").
  void write_step(int64_t step, int64_t epoch, double loss, double lr, double rate,
                  const char* unit, double elapsed_s, size_t peak_rss);
  void write_eval(int64_t step, int64_t epoch, double accuracy, double loss, int64_t examples);
  void write_summary(double test_accuracy, double wall_s, double throughput,
                     const std::string& unit, size_t peak_rss);

 private:
  void write_line(const std::string& line);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace lowbit
