// Pretrained-model lookup: LOWBIT_PRETRAINED_DIR first, then the checkout's .cache/pretrained, and
// an error naming the places looked and scripts/fetch_pretrained.sh when neither has the model.
#include "lowbit/data/pretrained_paths.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "data/test_files.h"

namespace lowbit {
namespace {

using testing::error_of;
using testing::TempDir;

// Sets LOWBIT_PRETRAINED_DIR for one test and restores the old value afterwards.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::string& value) {
    if (const char* old = std::getenv("LOWBIT_PRETRAINED_DIR")) old_ = old, had_ = true;
    setenv("LOWBIT_PRETRAINED_DIR", value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_)
      setenv("LOWBIT_PRETRAINED_DIR", old_.c_str(), 1);
    else
      unsetenv("LOWBIT_PRETRAINED_DIR");
  }

 private:
  std::string old_;
  bool had_ = false;
};

TEST(PretrainedPaths, EnvironmentComesFirst) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/all-MiniLM-L6-v2");
  dir.write("all-MiniLM-L6-v2/config.json", "{}");
  dir.write("all-MiniLM-L6-v2/vocab.txt", "[PAD]\n");
  ScopedEnv env(dir.path());
  EXPECT_EQ(find_pretrained_dir(), dir.path() + "/all-MiniLM-L6-v2");
  EXPECT_EQ(find_default_vocab(), dir.path() + "/all-MiniLM-L6-v2/vocab.txt");
}

TEST(PretrainedPaths, MissingModelSaysToFetch) {
  TempDir dir;
  ScopedEnv env(dir.path());
  std::string msg = error_of([] { find_pretrained_dir("no-such-model"); });
  EXPECT_NE(msg.find(dir.path() + "/no-such-model/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::string(LOWBIT_SOURCE_DIR) + "/.cache/pretrained/no-such-model"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("scripts/fetch_pretrained.sh"), std::string::npos) << msg;
}

TEST(PretrainedPaths, FallsBackToTheCheckoutCache) {
  std::string cached = std::string(LOWBIT_SOURCE_DIR) + "/.cache/pretrained/all-MiniLM-L6-v2";
  if (!std::filesystem::exists(cached + "/config.json"))
    GTEST_SKIP() << "run scripts/fetch_pretrained.sh to install all-MiniLM-L6-v2";
  TempDir empty;
  ScopedEnv env(empty.path());  // set, but without the model: the checkout's cache is next
  EXPECT_EQ(find_pretrained_dir(), cached);
  EXPECT_TRUE(std::filesystem::exists(find_pretrained_dir() + "/model.safetensors"));
}

}  // namespace
}  // namespace lowbit
