// numerics.mode dispatch. Each scheme lives in its own files under nn/ or quant/; this table
// only reads the recipe keys and builds the policy.
#include "lowbit/train/numerics_policy.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/embedding.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/nn/fp8_numerics.h"
#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/nn/int4_numerics.h"
#include "lowbit/nn/int_layer_norm.h"
#include "lowbit/nn/int_numerics.h"
#include "lowbit/nn/qat_numerics.h"
#include "lowbit/quant/uniform.h"
#include "lowbit/train/qat_bits.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

namespace {

// numerics.mode = int: numerics.bits, overridden per pass.
nn::IntNumericsConfig int_config(const Recipe& r) {
  auto bits = [&](const char* key) {
    int64_t b = r.get_int(key);
    return static_cast<int>(b != 0 ? b : r.get_int("numerics.bits"));
  };
  nn::IntNumericsConfig cfg;
  cfg.weight_bits = bits("numerics.weight_bits");
  cfg.act_bits = bits("numerics.act_bits");
  cfg.grad_bits = bits("numerics.grad_bits");
  cfg.seed = static_cast<uint64_t>(r.get_int("train.seed"));
  return cfg;
}

// The bits of int_config, and the patch embedding's own.
nn::NumericsPolicy make_int_policy(const Recipe& r) {
  const nn::IntNumericsConfig cfg = int_config(r);
  const int patch = static_cast<int>(r.get_int("numerics.patch_embed_bits"));
  return [cfg, patch](const std::string& layer, nn::LayerKind kind) {
    nn::IntNumericsConfig c = cfg;
    if (kind == nn::LayerKind::patch_embed && patch != 0)
      c.weight_bits = c.act_bits = c.grad_bits = patch;
    return nn::make_int_numerics(layer, c);
  };
}

// numerics.mode = int4: the three switchable pieces of Xi et al.
nn::NumericsPolicy make_int4_policy(const Recipe& r) {
  nn::Int4NumericsConfig cfg;
  cfg.hadamard = r.get_bool("numerics.hadamard");
  cfg.hadamard_block = r.get_int("numerics.hadamard_block");
  cfg.bit_split = r.get_bool("numerics.bit_split");
  cfg.leverage_sampling = r.get_bool("numerics.leverage_sampling");
  cfg.sample_fraction = r.get_float("numerics.sample_fraction");
  cfg.seed = static_cast<uint64_t>(r.get_int("train.seed"));
  return [cfg](const std::string& layer, nn::LayerKind) { return nn::make_int4_numerics(layer, cfg); };
}

// numerics.mode = qat: LSQ weights and inputs, each layer at its bits (train/qat_bits.h; checked
// there, before any layer).
nn::NumericsPolicy make_qat_policy(const Recipe& r) {
  const QatBitsTable bits(r);
  const double step_lr_scale = r.get_float("numerics.qat_step_lr_scale");
  return [bits, step_lr_scale](const std::string& layer, nn::LayerKind) {
    nn::QatNumericsConfig cfg;
    const QatBits b = bits.for_name(layer);
    cfg.weight_bits = b.weight;
    cfg.act_bits = b.act;
    cfg.step_lr_scale = step_lr_scale;
    return nn::make_qat_numerics(layer, cfg);
  };
}

// Why a layer norm or the embedding stays in floating point under numerics.mode = int; "" if not.
std::string int_layer_off_reason(const Recipe& r, nn::LayerKind kind) {
  if (kind == nn::LayerKind::layer_norm)
    return r.get_bool("numerics.int_layer_norm") ? "" : "numerics.int_layer_norm = false";
  if (!r.get_bool("numerics.int_embedding")) return "numerics.int_embedding = false";
  for (const char* key : {"model.stable_embedding", "model.tt_embedding"})
    if (r.get_bool(key)) return cat(key, ": the integer embedding covers dense tables only");
  return "";
}

// The report line of a layer norm or the embedding under numerics.mode = int.
std::string int_layer_line(const Recipe& r, const std::string& layer, nn::LayerKind kind,
                           const std::optional<nn::IntNumericsConfig>& c) {
  const bool norm = kind == nn::LayerKind::layer_norm;
  if (!c)
    return cat("  ", layer, ": f32 ", norm ? "layer norm" : "embedding", " (",
               int_layer_off_reason(r, kind), ")\n");
  return cat("  ", layer, ": ",
             norm ? nn::IntLayerNorm::describe(*c) : nn::Embedding::describe_int(*c), "\n");
}

// What stays in floating point under a numerics.mode other than fp32.
std::string float_parts(const Recipe& r) {
  const bool is_int = r.get_string("numerics.mode") == "int";
  std::string s = is_int ? "" : "attention score products (QK^T, PV), ";
  s += "softmax, GELU, ";
  s += is_int && r.get_bool("numerics.int_layer_norm")
           ? "the layer norms' rstd (1/sqrt(var + eps)) and beta add, "
           : "layer norm, ";
  if (r.get_string("model.kind") == "vit")
    s += "the [CLS] and position-embedding add, ";
  else if (!is_int || !int_layer_off_reason(r, nn::LayerKind::embedding).empty())
    s += "embeddings, ";
  return s +
         "residual adds, bias adds and bias gradients, the loss, optimizer and f32 master "
         "weights";
}

}  // namespace

nn::IntLayerPolicy make_int_layer_policy(const Recipe& recipe) {
  const bool on = recipe.get_string("numerics.mode") == "int";
  const nn::IntNumericsConfig cfg = on ? int_config(recipe) : nn::IntNumericsConfig{};
  const bool norm = on && int_layer_off_reason(recipe, nn::LayerKind::layer_norm).empty();
  const bool embed = on && int_layer_off_reason(recipe, nn::LayerKind::embedding).empty();
  // numerics.layer_norm_bits: every operand of the integer layer norms at its own width.
  nn::IntNumericsConfig ln = cfg;
  const int64_t ln_bits = on ? recipe.get_int("numerics.layer_norm_bits") : 0;
  LB_CHECK(ln_bits == 0 || (ln_bits >= 2 && ln_bits <= 16), "numerics.layer_norm_bits = ",
           ln_bits, " is out of range: 0 (as the other layers) or 2..16");
  if (ln_bits != 0) ln.weight_bits = ln.act_bits = ln.grad_bits = static_cast<int>(ln_bits);
  return [cfg, ln, norm, embed](const std::string&, nn::LayerKind kind) {
    const bool is_norm = kind == nn::LayerKind::layer_norm;
    if (!(is_norm ? norm : embed)) return std::optional<nn::IntNumericsConfig>();
    return std::optional<nn::IntNumericsConfig>(is_norm ? ln : cfg);
  };
}

void dfp_fake_quantize(float* x, int64_t n, int bits) {
  LB_CHECK(bits >= 2 && bits <= 16, "[dfp_fake_quantize] bits = ", bits, ", expected 2..16");
  const float amax = absmax_of(x, n);
  if (!(amax > 0) || !std::isfinite(amax)) return;  // all zero (or non-finite: the trainer reports it)
  const int32_t qmax = (1 << (bits - 1)) - 1;
  const float s = std::exp2(std::ceil(std::log2(amax / static_cast<float>(qmax))));
  if (!(s > 0) || !std::isfinite(s)) return;  // amax / qmax outside f32's range: leave x as is
  // x = clamp(rne(x / s), +-qmax) * s, exact since s is a power of two; NaN stays NaN, and a
  // negative value that rounds to 0 stays -0 (x's sign on every result, as rne(x / s) * s).
  // Element by element, so the chunks may run on any thread (Q, K and V come whole, outside the
  // attention's per-head loop).
  const IntnQuantKernel& k = intn_quant_kernels().chosen();
  parallel_for(n, 1024, [&](int64_t i0, int64_t i1) {
    int16_t codes[1024];
    const int64_t len = i1 - i0;
    float* __restrict xi = x + i0;
    const float step = s;  // a local: a float store could alias the captured s
    k.to_s16(xi, len, step, qmax, codes);
    // On the bits, without a branch: GCC would not if-convert the float compare or the select
    // (either could trap), and the loop stayed scalar. copysign(code * s, x), or x if x is NaN.
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) {
      const uint32_t v = std::bit_cast<uint32_t>(xi[i]);
      const uint32_t q = std::bit_cast<uint32_t>(static_cast<float>(codes[i]) * step);
      const uint32_t nan = 0u - static_cast<uint32_t>((v & 0x7FFFFFFFu) > 0x7F800000u);
      const uint32_t r = ((q & 0x7FFFFFFFu) | (v & 0x80000000u)) & ~nan;
      xi[i] = std::bit_cast<float>(r | (v & nan));
    }
  });
}

nn::AttentionPolicy make_attention_policy(const Recipe& recipe) {
  if (recipe.get_string("numerics.mode") != "int") return [](const std::string&) { return nn::AttentionOperands{}; };
  int bits = static_cast<int>(recipe.get_int("numerics.act_bits"));
  if (bits == 0) bits = static_cast<int>(recipe.get_int("numerics.bits"));
  LB_CHECK(bits >= 2 && bits <= 16, "numerics.bits = ", bits, " is out of range for the attention "
           "products (2..16)");
  return [bits](const std::string&) {
    nn::AttentionOperands ops;
    ops.q = ops.k = ops.v = ops.p = [bits](float* x, int64_t n) { dfp_fake_quantize(x, n, bits); };
    return ops;
  };
}

nn::NumericsPolicy make_numerics_policy(const Recipe& recipe) {
  const std::string mode = recipe.get_string("numerics.mode");
  if (mode == "fp32") return [](const std::string&, nn::LayerKind) { return nn::make_fp32_numerics(); };
  if (mode == "int") return make_int_policy(recipe);
  if (mode == "int4") return make_int4_policy(recipe);
  if (mode == "qat") return make_qat_policy(recipe);
  if (mode == "fp8") {
    nn::Fp8TrainingOptions o;
    o.scaling = recipe.get_string("numerics.fp8_scaling") == "current" ? nn::Fp8Scaling::current
                                                                       : nn::Fp8Scaling::delayed;
    o.amax_history = static_cast<int>(recipe.get_int("numerics.amax_history"));
    return [o](const std::string&, nn::LayerKind) { return nn::make_fp8_numerics(o); };
  }
  LB_FAIL("numerics.mode = \"", mode, "\" has no policy (recipe.cpp lists the modes)");
}

}  // namespace lowbit

namespace lowbit {

std::string numerics_report(const Recipe& recipe, nn::Module& model) {
  std::string lines;
  nn::NumericsPolicy inner = make_numerics_policy(recipe);
  model.set_numerics([&](const std::string& layer, nn::LayerKind kind) {
    std::unique_ptr<nn::GemmNumerics> g = inner(layer, kind);
    lines += "  " + layer + ": " + g->describe() + "\n";
    return g;
  });
  const std::string mode = recipe.get_string("numerics.mode");
  nn::IntLayerPolicy int_layers = make_int_layer_policy(recipe);
  model.set_int_layer_policy([&](const std::string& layer, nn::LayerKind kind) {
    std::optional<nn::IntNumericsConfig> c = int_layers(layer, kind);
    if (mode == "int") lines += int_layer_line(recipe, layer, kind, c);
    return c;
  });
  if (mode == "int")
    lines += "  attention products (QK^T, PV): forward on dynamic fixed-point operands (exact "
             "integer products), backward in f32 on those operands\n";
  if (mode != "fp32") lines += "  stays in floating point: " + float_parts(recipe) + "\n";
  if (mode == "qat")
    lines += "  qat: forward products on LSQ grid values, backward products on f32 gradients; "
             "the step sizes are parameters <layer>.weight_step / <layer>.act_step\n";
  return lines;
}

}  // namespace lowbit
