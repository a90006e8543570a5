// safetensors: round trips of every dtype with metadata; every truncation and each kind of
// corruption fails with a lowbit::Error naming the file (never a crash); F16/BF16 read as f32.
#include "lowbit/train/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lowbit/core/error.h"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("lowbit_safetensors_test_" + name)).string();
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void put_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file from a header text and a buffer, with the header length as given (or the true one).
std::string raw_file(const std::string& header, const std::string& buffer, int64_t n = -1) {
  uint64_t len = n < 0 ? header.size() : static_cast<uint64_t>(n);
  std::string out(8, '\0');
  std::memcpy(out.data(), &len, 8);
  return out + header + buffer;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A file whose every entry is written by hand; must fail with all of the parts in the message.
void expect_bad(const std::string& name, const std::string& header, const std::string& buffer,
                std::initializer_list<std::string> parts, int64_t n = -1) {
  std::string path = temp_path(name);
  put_bytes(path, raw_file(header, buffer, n));
  std::string msg = error_of([&] { safetensors_read(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << name << ": " << msg;
  for (const std::string& p : parts)
    EXPECT_NE(msg.find(p), std::string::npos) << name << ": '" << p << "' not in: " << msg;
}

std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  std::vector<std::pair<std::string, Tensor>> t;
  // Names out of alphabetical order: the file must keep the given order.
  t.emplace_back("z.weight",
                 Tensor::from_vector<float>({2, 3}, {1.5f, -2, 3e-38f, 1e30f, -0.0f, 7}));
  t.emplace_back("a.f64", Tensor::from_vector<double>({3}, {0.1, -1e300, 4.9e-324}));
  t.emplace_back("m.i8", Tensor::from_vector<int8_t>({4}, {-128, -1, 0, 127}));
  t.emplace_back("m.i16", Tensor::from_vector<int16_t>({1, 2}, {-32768, 32767}));
  t.emplace_back("m.i32", Tensor::from_vector<int32_t>({2}, {INT32_MIN, 12345}));
  t.emplace_back("m.u8", Tensor::from_vector<uint8_t>({3}, {0, 128, 255}));
  t.emplace_back("m.i64", Tensor::from_vector<int64_t>({1}, {INT64_MIN}));
  t.emplace_back("scalar", Tensor::from_vector<float>({}, {42}));
  t.emplace_back("empty", Tensor::empty({0, 5}));
  return t;
}

TEST(Safetensors, RoundTripEveryDtypeWithMetadata) {
  std::string path = temp_path("round_trip.safetensors");
  auto tensors = sample_tensors();
  std::map<std::string, std::string> meta{
      {"format", "lowbit-test"}, {"recipe", "{\"a\": \"b\"}"}, {"unicode", "ünï ✓"}};
  safetensors_write(path, tensors, meta);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  SafetensorsFile f = safetensors_read(path);
  EXPECT_EQ(f.path, path);
  EXPECT_EQ(f.metadata, meta);
  ASSERT_EQ(f.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, want] = tensors[i];
    const Tensor& got = f.tensors[i].second;
    EXPECT_EQ(f.tensors[i].first, name);
    EXPECT_EQ(got.dtype(), want.dtype()) << name;
    EXPECT_EQ(got.shape(), want.shape()) << name;
    ASSERT_EQ(got.nbytes(), want.nbytes()) << name;
    EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << name;  // bit for bit
  }
  EXPECT_TRUE(f.has("m.u8"));
  EXPECT_FALSE(f.has("nope"));
  EXPECT_EQ(f.get("m.i16").data<int16_t>()[1], 32767);
  // Header length is a multiple of 8, and the header is JSON padded with spaces.
  std::string bytes = file_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes[8], '{');
  EXPECT_TRUE(nlohmann::json::parse(bytes.substr(8, n)).is_object());
  // Writing again replaces the file whole.
  safetensors_write(path, {{"only", Tensor::zeros({2})}}, {});
  SafetensorsFile g = safetensors_read(path);
  EXPECT_EQ(g.tensors.size(), 1u);
  EXPECT_TRUE(g.metadata.empty());
}

TEST(Safetensors, GetNamesTheFileAndSomeTensors) {
  std::string path = temp_path("get.safetensors");
  safetensors_write(path, sample_tensors(), {});
  SafetensorsFile f = safetensors_read(path);
  std::string msg = error_of([&] { f.get("encoder.0.weight"); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("'encoder.0.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'z.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 tensors"), std::string::npos) << msg;
}

TEST(Safetensors, EveryTruncationIsAnError) {
  std::string path = temp_path("full.safetensors");
  safetensors_write(path, sample_tensors(), {{"k", "v"}});
  std::string bytes = file_bytes(path);
  std::string cut = temp_path("cut.safetensors");
  for (size_t len = 0; len < bytes.size(); ++len) {
    put_bytes(cut, bytes.substr(0, len));
    std::string msg = error_of([&] { safetensors_read(cut); });
    ASSERT_NE(msg.find(cut), std::string::npos) << "length " << len << ": " << msg;
  }
  // Trailing bytes are an error too.
  put_bytes(cut, bytes + "x");
  EXPECT_NE(error_of([&] { safetensors_read(cut); }).find("trailing"), std::string::npos);
}

TEST(Safetensors, CorruptHeadersAreErrors) {
  const std::string f32x2 = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string eight(8, '\1');
  std::string short_path = temp_path("short");
  put_bytes(short_path, std::string("\x10\0\0\0\0", 5));
  EXPECT_NE(error_of([&] { safetensors_read(short_path); }).find("too short"), std::string::npos);
  expect_bad("empty_header", "", "", {"file bytes [8, 8)", "not valid JSON"});
  expect_bad("huge_len", "{}", "", {"header length", "runs past the end"}, int64_t{1} << 62);
  expect_bad("not_json", "{\"w\": {\"dtype\": ", "", {"not valid JSON"});
  expect_bad("not_object", "[1, 2]", "", {"expected an object"});
  expect_bad("entry_not_object", R"({"w": 3})", "", {"'w'", "dtype, shape, data_offsets"});
  expect_bad("no_dtype", R"({"w": {"shape":[2],"data_offsets":[0,8]}})", eight, {"'w'", "dtype"});
  expect_bad("no_offsets", R"({"w": {"dtype":"F32","shape":[2]}})", eight, {"'w'", "data_offsets"});
  expect_bad("three_offsets", R"({"w": {"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}})", eight,
             {"'w'", "data_offsets"});
  expect_bad("bad_dtype", R"({"w": {"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", "\1\1",
             {"'w'", "BOOL", "not supported", "F32"});
  expect_bad("bad_dtype2", R"({"w": {"dtype":"X99","shape":[2],"data_offsets":[0,8]}})", eight,
             {"'w'", "X99"});
  expect_bad("negative_dim", R"({"w": {"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight,
             {"'w'", "shape"});
  expect_bad("float_dim", R"({"w": {"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", eight,
             {"'w'", "shape"});
  expect_bad("overflow_dim",
             R"({"w": {"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
             eight, {"'w'", "overflows"});
  expect_bad("wrong_size", R"({"w": {"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight,
             {"'w'", "[0, 8)", "needs 12"});
  expect_bad("reversed", R"({"w": {"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight,
             {"'w'", "out of order"});
  expect_bad("past_buffer", R"({"w": {"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", eight,
             {"'w'", "[4, 12)", "past the byte buffer"});
  expect_bad("overlap",
             R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b": {"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
             std::string(12, '\1'), {"'b'", "overlaps", "'a'"});
  expect_bad("same_range",
             R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b": {"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
             eight, {"overlaps"});
  expect_bad("gap",
             R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]},
                 "b": {"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
             std::string(12, '\1'), {"'b'", "gap"});
  expect_bad("short_buffer", "{\"w\": " + f32x2 + "}", "\1\1\1\1", {"'w'", "past the byte buffer"});
  expect_bad("long_buffer", "{\"w\": " + f32x2 + "}", eight + "\1", {"9 bytes", "cover 8"});
  expect_bad("metadata_not_string", R"({"__metadata__": {"step": 3}})", "",
             {"__metadata__", "step"});
  expect_bad("metadata_not_object", R"({"__metadata__": "x"})", "", {"__metadata__"});
  std::string missing = temp_path("does_not_exist.safetensors");
  fs::remove(missing);
  EXPECT_NE(error_of([&] { safetensors_read(missing); }).find(missing), std::string::npos);
}

TEST(Safetensors, HeaderOrderNeedNotBeByteOrder) {
  std::string path = temp_path("order.safetensors");
  float a = 1, b = 2;
  std::string buffer(8, '\0');
  std::memcpy(buffer.data(), &b, 4);  // "b" first in the buffer, second in the header
  std::memcpy(buffer.data() + 4, &a, 4);
  put_bytes(path, raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                           R"("b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}   )",
                           buffer));
  SafetensorsFile f = safetensors_read(path);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors[0].first, "a");
  EXPECT_EQ(f.get("a").data<float>()[0], 1.0f);
  EXPECT_EQ(f.get("b").data<float>()[0], 2.0f);
  EXPECT_EQ(f.get("b").shape(), Shape{});
}

TEST(Safetensors, HalfPrecisionIsReadAsF32) {
  // F16: 1, -2.5, 65504 (max), 2^-24 (smallest subnormal), -0, inf, 2^-14 (smallest normal), nan.
  const uint16_t f16[] = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x0400, 0x7e00};
  // BF16: 1, -2.5, 3.0e38-ish, 1e-38-ish bit patterns are the top halves of f32.
  const float bf_vals[] = {1.0f, -2.5f, 3.3895314e38f, 9.1835e-41f};
  uint16_t bf16[4];
  for (int i = 0; i < 4; ++i)
    bf16[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(bf_vals[i]) >> 16);
  std::string buffer(reinterpret_cast<const char*>(f16), sizeof f16);
  buffer.append(reinterpret_cast<const char*>(bf16), sizeof bf16);
  std::string path = temp_path("half.safetensors");
  put_bytes(path, raw_file(R"({"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},)"
                           R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]}})",
                           buffer));
  SafetensorsFile f = safetensors_read(path);
  const Tensor& h = f.get("h");
  ASSERT_EQ(h.dtype(), DType::f32);
  EXPECT_EQ(h.shape(), (Shape{2, 4}));
  const float* p = h.data<float>();
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[1], -2.5f);
  EXPECT_EQ(p[2], 65504.0f);
  EXPECT_EQ(p[3], std::ldexp(1.0f, -24));
  EXPECT_TRUE(p[4] == 0.0f && std::signbit(p[4]));
  EXPECT_EQ(p[5], std::numeric_limits<float>::infinity());
  EXPECT_EQ(p[6], std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::isnan(p[7]));
  const Tensor& b = f.get("b");
  ASSERT_EQ(b.dtype(), DType::f32);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(b.data<float>()[i]), static_cast<uint32_t>(bf16[i]) << 16);
}

TEST(Safetensors, WriterRefusesBadInputAndNamesThePath) {
  std::string path = temp_path("refuse.safetensors");
  Tensor t = Tensor::zeros({2});
  std::string msg = error_of([&] { safetensors_write(path, {{"a", t}, {"a", t}}, {}); });
  EXPECT_NE(msg.find("two tensors are named 'a'"), std::string::npos) << msg;
  msg = error_of([&] { safetensors_write(path, {{"__metadata__", t}}, {}); });
  EXPECT_NE(msg.find("__metadata__"), std::string::npos) << msg;
  msg = error_of([&] { safetensors_write(path, {{"u", Tensor()}}, {}); });
  EXPECT_NE(msg.find("'u'"), std::string::npos) << msg;
  std::string unwritable = "/nonexistent_dir_lowbit/x.safetensors";
  msg = error_of([&] { safetensors_write(unwritable, {{"a", t}}, {}); });
  EXPECT_NE(msg.find(unwritable), std::string::npos) << msg;
}

}  // namespace
}  // namespace lowbit
