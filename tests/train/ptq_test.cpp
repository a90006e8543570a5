// PTQ end to end on a tiny ViT and synthetic images: FP8 / int8 codes and scales round-trip
// through the quantized checkpoint bit for bit, loading reproduces the quantized logits exactly,
// excluded layers stay fp32, and exclusion patterns match substrings and globs.
#include "lowbit/train/ptq.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "lowbit/core/rng.h"
#include "lowbit/models/vit.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/task_data.h"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

class FakeImages : public TaskData {
 public:
  int64_t size(bool train) const override { return train ? 64 : 16; }
  int64_t num_classes() const override { return 3; }
  const std::vector<std::string>& label_names() const override { return names_; }
  models::ModelInput batch(bool train, const std::vector<int64_t>& idx, Tensor* labels) const override {
    models::ModelInput in;
    const auto b = static_cast<int64_t>(idx.size());
    in.images = Tensor::empty({b, 1, 8, 8});
    *labels = Tensor::zeros({b}, DType::i32);
    for (int64_t i = 0; i < b; ++i) {
      Tensor row = in.images.rows(i, i + 1);
      Rng(train ? 1 : 2, static_cast<uint64_t>(idx[static_cast<size_t>(i)])).fill_normal(row, 0, 1);
      labels->data<int32_t>()[i] = static_cast<int32_t>(idx[static_cast<size_t>(i)] % 3);
    }
    return in;
  }
  const char* unit() const override { return "images"; }
  int64_t units(const models::ModelInput& in) const override { return in.batch(); }
  std::string describe() const override { return "fake"; }

 private:
  std::vector<std::string> names_{"a", "b", "c"};
};

models::VitConfig tiny() {
  models::VitConfig c;
  c.layers = 1;
  c.hidden = 16;
  c.heads = 2;
  c.ffn = 32;
  c.image_size = 8;
  c.patch = 4;
  c.classes = 3;
  return c;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Ptq, ExcludePatterns) {
  EXPECT_TRUE(ptq_excluded("classifier", "classifier,pooler"));
  EXPECT_TRUE(ptq_excluded("pooler", "classifier, pooler"));
  EXPECT_TRUE(ptq_excluded("encoder.0.ffn.fc1", "ffn"));
  EXPECT_TRUE(ptq_excluded("encoder.1.attention.query", "encoder.*.query"));
  EXPECT_FALSE(ptq_excluded("encoder.1.attention.key", "encoder.*.query"));
  EXPECT_FALSE(ptq_excluded("classifier", ""));
}

TEST(Ptq, CheckpointRoundTripsCodesAndReproducesLogits) {
  FakeImages data;
  for (nn::PtqFormat f : {nn::PtqFormat::e4m3, nn::PtqFormat::e5m2, nn::PtqFormat::int8}) {
    for (bool per_channel : {false, true}) {
      models::VitClassifier model(tiny(), 5);
      PtqOptions o;
      o.format = f;
      o.method = CalibMethod::percentile;
      o.batches = 2;
      o.per_channel = per_channel;
      o.exclude = "classifier";
      PtqResult q = ptq_calibrate(model, data, 16, o);
      EXPECT_EQ(q.calibration_examples, 32);
      EXPECT_EQ(q.layers.count("classifier"), 0u);
      ASSERT_EQ(q.excluded, std::vector<std::string>{"classifier"});
      EXPECT_EQ(ptq_policy(q.layers)("classifier", nn::LayerKind::linear)->describe(), "fp32");
      EXPECT_GE(q.layers.size(), 6u);  // patch projection, q k v o, fc1, fc2
      Tensor labels;
      models::ModelInput in = data.batch(false, {0, 1, 2, 3}, &labels);
      Tensor logits = model.forward(in, {});

      const std::string dir = (fs::temp_directory_path() / "lowbit_ptq_test").string();
      fs::remove_all(dir);
      ptq_save(dir, model.params(), q, o, {{"format", "lowbit-checkpoint-1"}});
      ASSERT_TRUE(ptq_is_quantized_checkpoint(dir));
      SafetensorsFile file = safetensors_read(dir + "/model.safetensors");
      EXPECT_EQ(file.get("classifier.weight").dtype(), DType::f32);
      for (const auto& [name, L] : q.layers) {
        EXPECT_TRUE(same_bits(file.get(name + ".weight"), L->w_codes)) << name;
        EXPECT_EQ(file.get(name + ".weight").dtype(), nn::ptq_format_dtype(f));
        EXPECT_TRUE(same_bits(file.get(name + ".weight_scale"), L->w_scales)) << name;
        EXPECT_EQ(file.get(name + ".input_scale").data<float>()[0], L->x_scale) << name;
      }

      models::VitClassifier fresh(tiny(), 99);  // other initial weights: all must come from disk
      PtqLoaded loaded = ptq_load(dir, fresh.params());
      ASSERT_EQ(loaded.layers.size(), q.layers.size());
      for (const auto& [name, L] : q.layers) {
        EXPECT_TRUE(same_bits(loaded.layers.at(name)->w_codes, L->w_codes));
        EXPECT_TRUE(same_bits(loaded.layers.at(name)->w_scales, L->w_scales));
        EXPECT_EQ(loaded.layers.at(name)->x_scale, L->x_scale);
      }
      EXPECT_EQ(loaded.format, f);
      EXPECT_EQ(loaded.attention, q.attention);
      EXPECT_EQ(q.attention.size(), 4u * tiny().layers) << "q, k, v, p of every attention layer";
      for (const auto& [op, scale] : q.attention)
        EXPECT_EQ(scale, std::exp2(std::round(std::log2(scale)))) << op << " is not a power of two";
      ptq_install(fresh, loaded);
      EXPECT_TRUE(same_bits(fresh.forward(in, {}), logits)) << nn::ptq_format_name(f);
      fs::remove_all(dir);
    }
  }
}

// The attention products are quantized too (their operands change the logits); excluding the
// attention layer by name leaves them in fp32.
TEST(Ptq, AttentionOperandsAreQuantizedUnlessExcluded) {
  FakeImages data;
  Tensor labels;
  models::ModelInput in = data.batch(false, {0, 1, 2, 3}, &labels);
  auto logits_with = [&](const std::string& exclude, PtqResult* out) {
    models::VitClassifier model(tiny(), 5);
    PtqOptions o;
    o.format = nn::PtqFormat::int8;
    o.batches = 2;
    o.exclude = exclude;
    *out = ptq_calibrate(model, data, 16, o);
    return model.forward(in, {});
  };
  PtqResult all, no_attention, no_products;
  Tensor a = logits_with("classifier", &all);
  Tensor b = logits_with("classifier,encoder.0.attention", &no_attention);
  Tensor c = logits_with("classifier,products", &no_products);
  EXPECT_EQ(all.attention.size(), 4u);
  EXPECT_TRUE(no_attention.attention.empty());
  EXPECT_TRUE(no_products.attention.empty());
  EXPECT_EQ(no_products.layers.size(), all.layers.size());  // the linears stay quantized
  EXPECT_EQ(no_products.excluded,
            (std::vector<std::string>{"classifier", "encoder.0.attention.products"}));
  EXPECT_FALSE(same_bits(a, b));
  EXPECT_FALSE(same_bits(a, c));
}

TEST(Ptq, QuantizedLogitsStayCloseToFp32) {
  FakeImages data;
  models::VitClassifier model(tiny(), 5);
  Tensor labels;
  models::ModelInput in = data.batch(false, {0, 1, 2, 3, 4, 5, 6, 7}, &labels);
  Tensor ref = model.forward(in, {}).clone();
  PtqOptions o;
  o.format = nn::PtqFormat::e4m3;
  o.batches = 4;
  ptq_calibrate(model, data, 16, o);
  Tensor y = model.forward(in, {});
  double err = 0, mag = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    err = std::max(err, std::fabs(double(y.data<float>()[i]) - ref.data<float>()[i]));
    mag = std::max(mag, std::fabs(double(ref.data<float>()[i])));
  }
  EXPECT_LT(err, 0.1 * mag + 1e-3);  // E4M3 keeps ~2^-4 relative precision per operand
}

}  // namespace
}  // namespace lowbit
