// The recorder and the quantizing policy are AttentionPolicy closures over shared maps; the
// probability transform runs inside attention's parallel loop, so it only reads its scale.
#include "lowbit/train/ptq_attention.h"

#include <cmath>
#include <memory>
#include <vector>

#include "lowbit/train/ptq.h"

namespace lowbit {

namespace {
constexpr const char* kOperands[] = {"q", "k", "v"};

float pow2_at_least(float s) {
  return s > 0 && std::isfinite(s) ? std::exp2(std::ceil(std::log2(s))) : 1.0f;
}
}  // namespace

void ptq_fake_quantize(float* x, int64_t n, float s, nn::PtqFormat f) {
  // int8 and FP8 codes are both one byte; one buffer per thread (this runs once per attention
  // block inside the parallel loop).
  thread_local std::vector<uint8_t> codes;
  codes.resize(static_cast<size_t>(n));
  nn::ptq_encode(x, n, s, f, codes.data());
  for (int64_t i = 0; i < n; ++i) x[i] = nn::ptq_code_value(codes.data(), i, f) * s;
}

nn::AttentionPolicy ptq_attention_recorder(std::map<std::string, ActStats>& stats,
                                           const std::string& exclude,
                                           std::vector<std::string>* excluded) {
  return [&stats, exclude, excluded](const std::string& layer) {
    nn::AttentionOperands ops;
    if (ptq_excluded(layer + ".products", exclude)) {
      if (excluded) excluded->push_back(layer + ".products");
      return ops;
    }
    ActStats* s[3];
    for (int i = 0; i < 3; ++i) s[i] = &stats[layer + "." + kOperands[i]];
    ops.q = [st = s[0]](float* x, int64_t n) { st->add(x, n); };
    ops.k = [st = s[1]](float* x, int64_t n) { st->add(x, n); };
    ops.v = [st = s[2]](float* x, int64_t n) { st->add(x, n); };
    return ops;
  };
}

AttentionScales ptq_attention_scales(const std::map<std::string, ActStats>& stats, CalibMethod m,
                                     nn::PtqFormat f, double percentile) {
  AttentionScales out;
  for (const auto& [name, s] : stats) {
    out[name] = pow2_at_least(nn::ptq_scale_for_clip(calib_clip(s, m, f, percentile), f));
    if (name.size() > 2 && name.compare(name.size() - 2, 2, ".q") == 0)
      out[name.substr(0, name.size() - 2) + ".p"] = pow2_at_least(nn::ptq_scale_for_clip(1.0f, f));
  }
  return out;
}

nn::AttentionPolicy ptq_attention_policy(const AttentionScales& scales, nn::PtqFormat f) {
  return [scales, f](const std::string& layer) {
    nn::AttentionOperands ops;
    auto make = [&](const char* op) -> std::function<void(float*, int64_t)> {
      auto it = scales.find(layer + "." + op);
      if (it == scales.end()) return {};
      const float s = it->second;
      return [s, f](float* x, int64_t n) { ptq_fake_quantize(x, n, s, f); };
    };
    ops.q = make("q");
    ops.k = make("k");
    ops.v = make("v");
    ops.p = make("p");
    return ops;
  };
}

}  // namespace lowbit
