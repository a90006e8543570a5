// Metrics JSON lines: each kind parses with its fields and units; append keeps earlier lines;
// an unwritable path names itself. Also the memory readers (peak >= current > 0).
#include "lowbit/train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/train/memory.h"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Metrics, EachKindIsOneJsonLine) {
  std::string path = (fs::temp_directory_path() / "lowbit_metrics_test.jsonl").string();
  {
    MetricsWriter m(path, false);
    m.write_step(50, 1, 2.25, 4e-4, 12345.5, "tokens", 3.5, 1 << 20);
    m.write_eval(50, 1, 0.75, 0.5, 1000);
    m.write_step(51, 1, std::nan(""), 0, 0, "tokens", 3.6, 1 << 20);
    m.write_summary(0.8, 100.0, 999.0, "images", 2 << 20);
    // Flushed at once: readable while the writer is still open.
    EXPECT_EQ(read_lines(path).size(), 4u);
  }
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4u);
  const auto& s = lines[0];
  EXPECT_EQ(s["kind"], "step");
  EXPECT_EQ(s["step"], 50);
  EXPECT_EQ(s["epoch"], 1);
  EXPECT_EQ(s["loss"], 2.25);
  EXPECT_EQ(s["lr"], 4e-4);
  EXPECT_EQ(s["tokens_per_s"], 12345.5);
  EXPECT_EQ(s["elapsed_s"], 3.5);
  EXPECT_EQ(s["peak_rss_bytes"], 1 << 20);
  const auto& e = lines[1];
  EXPECT_EQ(e["kind"], "eval");
  EXPECT_EQ(e["step"], 50);
  EXPECT_EQ(e["accuracy"], 0.75);
  EXPECT_EQ(e["loss"], 0.5);
  EXPECT_EQ(e["examples"], 1000);
  EXPECT_TRUE(lines[2]["loss"].is_null());  // NaN has no JSON form
  const auto& z = lines[3];
  EXPECT_EQ(z["kind"], "summary");
  EXPECT_EQ(z["test_accuracy"], 0.8);
  EXPECT_EQ(z["wall_s"], 100.0);
  EXPECT_EQ(z["images_per_s"], 999.0);
  EXPECT_EQ(z["peak_rss_bytes"], 2 << 20);

  // Measured fields come before "loss", so two runs of one seed compare by the line's tail.
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.substr(first.find("\"lr\"")), "\"lr\":0.0004,\"loss\":2.25}");

  {
    MetricsWriter m(path, true);
    m.write_eval(60, 2, 0.5, 1.0, 10);
  }
  EXPECT_EQ(read_lines(path).size(), 5u);
  { MetricsWriter m(path, false); }
  EXPECT_EQ(read_lines(path).size(), 0u);
}

TEST(Metrics, UnwritablePathIsNamed) {
  std::string path = "/nonexistent_dir_lowbit/metrics.jsonl";
  try {
    MetricsWriter m(path, false);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Memory, PeakAtLeastCurrentAndGrows) {
  size_t current = current_rss_bytes();
  size_t peak = peak_rss_bytes();
  EXPECT_GT(current, 0u);
  EXPECT_GE(peak, current);
  // Touch 64 MiB: the peak follows.
  std::vector<char> big(64 << 20);
  std::memset(big.data(), 1, big.size());
  EXPECT_GE(current_rss_bytes(), size_t{60} << 20);
  EXPECT_GE(peak_rss_bytes(), size_t{60} << 20);
  EXPECT_EQ(big[12345], 1);
}

}  // namespace
}  // namespace lowbit
