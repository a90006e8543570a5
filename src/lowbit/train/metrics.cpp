// JSON-lines metrics: objects built with nlohmann (ordered, so fields keep the documented order)
// and written one line at a time, flushed at once.
#include "lowbit/train/metrics.h"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
using ordered_json = nlohmann::ordered_json;
}

MetricsWriter::MetricsWriter(const std::string& path, bool append) : path_(path) {
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  LB_CHECK(file_ != nullptr, "metrics file ", path, ": cannot open for writing (",
           std::strerror(errno), "); check that train.out_dir exists and is writable");
}

MetricsWriter::~MetricsWriter() {
  if (file_) std::fclose(file_);
}

void MetricsWriter::write_line(const std::string& line) {
  bool ok = std::fputs(line.c_str(), file_) >= 0 && std::fputc('\n', file_) != EOF &&
            std::fflush(file_) == 0;
  LB_CHECK(ok, "metrics file ", path_, ": write failed (", std::strerror(errno), ")");
}

void MetricsWriter::write_step(int64_t step, int64_t epoch, double loss, double lr, double rate,
                               const char* unit, double elapsed_s, size_t peak_rss) {
  ordered_json j;
  j["kind"] = "step";
  j["step"] = step;
  j["epoch"] = epoch;
  j["elapsed_s"] = elapsed_s;
  j[cat(unit, "_per_s")] = rate;
  j["peak_rss_bytes"] = peak_rss;
  j["lr"] = lr;
  j["loss"] = loss;
  write_line(j.dump());
}

void MetricsWriter::write_eval(int64_t step, int64_t epoch, double accuracy, double loss,
                               int64_t examples) {
  ordered_json j;
  j["kind"] = "eval";
  j["step"] = step;
  j["epoch"] = epoch;
  j["examples"] = examples;
  j["accuracy"] = accuracy;
  j["loss"] = loss;
  write_line(j.dump());
}

void MetricsWriter::write_summary(double test_accuracy, double wall_s, double throughput,
                                  const std::string& unit, size_t peak_rss) {
  ordered_json j;
  j["kind"] = "summary";
  j["wall_s"] = wall_s;
  j[unit + "_per_s"] = throughput;
  j["peak_rss_bytes"] = peak_rss;
  j["test_accuracy"] = test_accuracy;
  write_line(j.dump());
}

}  // namespace lowbit
