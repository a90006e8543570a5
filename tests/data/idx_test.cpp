// IDX reader and Fashion-MNIST loader: the real files when dataset-fashion-mnist is installed, and
// crafted tiny files (plain and gzip) that are truncated, mislabelled or mismatched.
#include "lowbit/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>

#include "data/test_files.h"

namespace lowbit {
namespace {

using testing::error_of;
using testing::TempDir;

const std::string kDir = "/usr/share/datasets/fashion-mnist";

// IDX bytes: magic, type, dims (big-endian u32), then `data`.
std::string idx_bytes(std::vector<uint32_t> dims, const std::string& data, uint8_t type = 0x08) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int k = 3; k >= 0; --k) s += static_cast<char>((d >> (8 * k)) & 0xFF);
  return s + data;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  gzclose(f);
}

TEST(Idx, ReadsPlainAndGzip) {
  TempDir dir;
  std::string body = idx_bytes({2, 3}, std::string("\x01\x02\x03\x04\x05\xFF", 6));
  std::string plain = dir.write("a.idx", body);
  std::string gz = dir.path() + "/a.idx.gz";
  write_gz(gz, body);
  for (const std::string& p : {plain, gz}) {
    IdxArray a = read_idx(p);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3})) << p;
    EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 255})) << p;
  }
}

TEST(Idx, BadFilesNameFileAndOffset) {
  TempDir dir;
  std::string p = dir.write("magic.idx", std::string("\x01\x00\x08\x01\x00\x00\x00\x01\x07", 9));
  std::string msg = error_of([&] { read_idx(p); });
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;

  p = dir.write("float.idx", idx_bytes({1}, std::string(4, '\0'), 0x0D));
  msg = error_of([&] { read_idx(p); });
  EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find(p), std::string::npos) << msg;

  // 2x3 needs 6 data bytes from byte 12; only 4 are there.
  p = dir.write("short.idx", idx_bytes({2, 3}, "abcd"));
  msg = error_of([&] { read_idx(p); });
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated: data ends at byte 16"), std::string::npos) << msg;

  std::string gz = dir.path() + "/short.idx.gz";
  write_gz(gz, idx_bytes({2, 3}, "abcd"));
  msg = error_of([&] { read_idx(gz); });
  EXPECT_NE(msg.find(gz), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte 16"), std::string::npos) << msg;

  p = dir.write("header.idx", std::string("\x00\x00\x08\x02\x00\x00", 6));
  msg = error_of([&] { read_idx(p); });
  EXPECT_NE(msg.find("ends at byte 6"), std::string::npos) << msg;

  p = dir.write("long.idx", idx_bytes({2}, "abc"));
  msg = error_of([&] { read_idx(p); });
  EXPECT_NE(msg.find("more bytes after"), std::string::npos) << msg;

  msg = error_of([&] { read_idx(dir.path() + "/absent.idx"); });
  EXPECT_NE(msg.find("absent.idx"), std::string::npos) << msg;
}

// A fake Fashion-MNIST folder with n images of h x w and the given labels.
void write_set(const TempDir& dir, const std::string& prefix, uint32_t n,
               const std::string& labels) {
  std::string pixels(n * 2 * 2, '\0');
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i * 17);
  dir.write(prefix + "-images-idx3-ubyte", idx_bytes({n, 2, 2}, pixels));
  dir.write(prefix + "-labels-idx1-ubyte",
            idx_bytes({static_cast<uint32_t>(labels.size())}, labels));
}

TEST(FashionMnist, CraftedFolder) {
  TempDir dir;
  write_set(dir, "t10k", 3, std::string("\x00\x09\x04", 3));
  ImageDataset d = load_fashion_mnist("test", dir.path());
  EXPECT_EQ(d.images.shape(), (Shape{3, 1, 2, 2}));
  EXPECT_EQ(d.labels.to_vector(), (std::vector<double>{0, 9, 4}));
  std::vector<double> x = d.images.to_vector();
  for (size_t i = 0; i < x.size(); ++i) {
    double want = (static_cast<uint8_t>(i * 17) / 255.0 - 0.2860) / 0.3530;
    EXPECT_NEAR(x[i], want, 1e-5) << i;
  }
}

TEST(FashionMnist, MismatchAndRangeErrors) {
  TempDir dir;
  write_set(dir, "train", 3, std::string("\x00\x01", 2));
  std::string msg = error_of([&] { load_fashion_mnist("train", dir.path()); });
  EXPECT_NE(msg.find("3 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 labels"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train-labels-idx1-ubyte"), std::string::npos) << msg;

  write_set(dir, "train", 2, std::string("\x01\x0A", 2));
  msg = error_of([&] { load_fashion_mnist("train", dir.path()); });
  EXPECT_NE(msg.find("label 10 at byte 9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train-labels-idx1-ubyte"), std::string::npos) << msg;

  msg = error_of([&] { load_fashion_mnist("train", dir.path() + "/nowhere"); });
  EXPECT_NE(msg.find("dataset-fashion-mnist"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nowhere/train-images-idx3-ubyte"), std::string::npos) << msg;
  msg = error_of([&] { load_fashion_mnist("valid", dir.path()); });
  EXPECT_NE(msg.find("train, test"), std::string::npos) << msg;
}

TEST(FashionMnist, RealFiles) {
  if (!std::filesystem::exists(kDir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed (apt-get install dataset-fashion-mnist)";
  ImageDataset train = load_fashion_mnist("train", kDir);
  ImageDataset test = load_fashion_mnist("test", kDir);
  EXPECT_EQ(train.images.shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(test.images.shape(), (Shape{10000, 1, 28, 28}));
  EXPECT_EQ(train.labels.shape(), (Shape{60000}));
  EXPECT_EQ(train.classes, 10);
  std::vector<int64_t> per_class(10, 0);
  for (const ImageDataset* d : {&train, &test}) {
    const int32_t* y = d->labels.data<int32_t>();
    for (int64_t i = 0; i < d->labels.numel(); ++i) {
      ASSERT_GE(y[i], 0);
      ASSERT_LT(y[i], 10);
      if (d == &train) ++per_class[y[i]];
    }
  }
  for (int64_t c : per_class) EXPECT_EQ(c, 6000);  // Fashion-MNIST is balanced
  // The normalization constants are the training set's mean and std: after it, ~0 and ~1.
  const float* x = train.images.data<float>();
  double sum = 0, sq = 0;
  int64_t n = train.images.numel();
  for (int64_t i = 0; i < n; ++i) sum += x[i], sq += double(x[i]) * x[i];
  double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(var), 1.0, 0.01);
}

}  // namespace
}  // namespace lowbit
