// Plain (full-precision) and 8-bit block-wise optimizer state, and the codec-name factory.
// A new codec adds a StateStore subclass, one branch in make_state_store and its saved form.
#include "lowbit/optim/state_store.h"

#include <algorithm>
#include <cstring>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit::optim {

PlainStateStore::PlainStateStore(int64_t numel, DType dtype)
    : values_(Tensor::zeros({numel}, dtype)) {}

void PlainStateStore::decode_block(int64_t block, float* out) const {
  LB_ASSERT(values_.dtype() == DType::f32);
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, values_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  std::memcpy(out, values_.data<float>() + begin, static_cast<size_t>(n) * sizeof(float));
}

void PlainStateStore::encode_block(int64_t block, const float* in) {
  LB_ASSERT(values_.dtype() == DType::f32);
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, values_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  std::memcpy(values_.data<float>() + begin, in, static_cast<size_t>(n) * sizeof(float));
}

Blockwise8StateStore::Blockwise8StateStore(int64_t numel, StateSign sign, int64_t qblock)
    : map_(sign == StateSign::any ? DynamicMap::signed_map : DynamicMap::unsigned_map),
      tables_(&dynamic_tables(map_)),
      block_(qblock) {
  LB_CHECK(qblock > 0 && kStateBlock % qblock == 0, "[optimizer] 8-bit state block = ", qblock,
           ", expected a divisor of ", kStateBlock, " (2048 as in the paper, 256 as bitsandbytes)");
  LB_CHECK(numel >= 0, "[optimizer] 8-bit state of ", numel, " elements");
  codes_ = Tensor::full({numel}, dynamic_encode(0.0f, map_), DType::u8);
  absmax_ = Tensor::zeros({(numel + qblock - 1) / qblock}, DType::f32);
  qblock_ = Tensor::from_vector<int64_t>({1}, {qblock});
}

std::string Blockwise8StateStore::codec() const {
  return cat("8bit (block ", block_, ")");
}

void Blockwise8StateStore::decode_block(int64_t block, float* out) const {
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, codes_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  const BlockwiseKernel& k = blockwise_kernels().chosen();
  const uint8_t* codes = codes_.data<uint8_t>() + begin;
  const float* absmax = absmax_.data<float>() + begin / block_;
  const float* map = dynamic_map(map_);
  for (int64_t off = 0; off < n; off += block_)
    k.decode(codes + off, std::min(block_, n - off), absmax[off / block_], map, out + off);
}

void Blockwise8StateStore::encode_block(int64_t block, const float* in) {
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, codes_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  const BlockwiseKernel& k = blockwise_kernels().chosen();
  const BlockwiseLutKernel& lut = blockwise_lut_kernels().chosen();
  const DynamicTables& t = dynamic_tables(map_);
  uint8_t* codes = codes_.data<uint8_t>() + begin;
  float* absmax = absmax_.data<float>() + begin / block_;
  for (int64_t off = 0; off < n; off += block_) {
    int64_t len = std::min(block_, n - off);
    float a = k.absmax(in + off, len);
    absmax[off / block_] = a;
    lut.encode(in + off, len, a, t, codes + off);
  }
}

std::string saved_state_codec(const std::string& base,
                              const std::function<const Tensor*(const std::string&)>& has) {
  if (has(base)) return "f32";
  if (!has(base + ".codes")) return "";
  const Tensor* q = has(base + ".qblock");
  if (!q || q->dtype() != DType::i64 || q->numel() != 1) return "8bit (block ?)";
  return cat("8bit (block ", q->data<int64_t>()[0], ")");
}

const std::vector<std::string>& state_codec_names() {
  static const std::vector<std::string> names = {"f32", "8bit"};
  return names;
}

std::unique_ptr<StateStore> make_state_store(std::string_view codec, int64_t numel, DType dtype,
                                             StateSign sign, int64_t block) {
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[optimizer] state for a ",
           dtype_name(dtype), " parameter: parameters must be f32 or f64");
  if (codec == "f32") return std::make_unique<PlainStateStore>(numel, dtype);
  if (codec == "8bit") {
    LB_CHECK(dtype == DType::f32, "[optimizer] 8-bit state needs f32 parameters, not ",
             dtype_name(dtype), " (use state_codec f32)");
    return std::make_unique<Blockwise8StateStore>(numel, sign, block);
  }
  std::string allowed;
  for (const auto& n : state_codec_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  LB_FAIL("[optimizer] unknown state codec '", codec, "' (allowed: ", allowed, ")");
}

}  // namespace lowbit::optim
