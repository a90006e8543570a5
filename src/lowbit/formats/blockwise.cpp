// The dynamic tree map of Dettmers et al. built from its definition, its exact-nearest encode
// thresholds, and the block-wise codec over whole arrays (blocks in parallel, kernels per block).
#include "lowbit/formats/blockwise.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {
// bitsandbytes create_dynamic_map(signed, max_exponent_bits = 7, total_bits = 8): decade i
// (value scale 10^(i-6)) has 2^i fraction values (2^(i+1) unsigned), the midpoints of an even
// split of [0.1, 1]. Computed in double and rounded once to float (bitsandbytes computes in
// float32 torch arithmetic, which can differ in the last bit for some entries).
std::array<float, 256> build_map(bool is_signed) {
  std::vector<double> v;
  for (int i = 0; i < 7; ++i) {
    int items = is_signed ? (1 << i) : (1 << (i + 1));
    double decade = std::pow(10.0, i - 6);
    for (int k = 0; k < items; ++k) {
      double mean = 0.1 + 0.9 * (k + 0.5) / items;
      v.push_back(decade * mean);
      if (is_signed) v.push_back(-decade * mean);
    }
  }
  v.push_back(0.0);
  v.push_back(1.0);
  LB_ASSERT(v.size() == 256);
  std::array<float, 256> map{};
  for (size_t i = 0; i < 256; ++i) map[i] = static_cast<float>(v[i]);
  std::sort(map.begin(), map.end());
  return map;
}

// Smallest float strictly above the exact midpoint of each adjacent pair (ties -> lower code).
std::array<float, 256> build_thresholds(const float* map) {
  std::array<float, 256> t{};
  for (int i = 0; i < 255; ++i) {
    double mid = (static_cast<double>(map[i]) + map[i + 1]) / 2;  // exact in double
    float f = static_cast<float>(mid);
    while (static_cast<double>(f) <= mid) f = std::nextafter(f, INFINITY);
    while (static_cast<double>(std::nextafter(f, -INFINITY)) > mid) f = std::nextafter(f, -INFINITY);
    t[i] = f;
  }
  t[255] = INFINITY;
  return t;
}

struct MapTables {
  std::array<float, 256> map, thresholds;
  explicit MapTables(bool is_signed)
      : map(build_map(is_signed)), thresholds(build_thresholds(map.data())) {}
};

const MapTables& tables(DynamicMap which) {
  static const MapTables s(true), u(false);
  return which == DynamicMap::signed_map ? s : u;
}
}  // namespace

const float* dynamic_map(DynamicMap which) { return tables(which).map.data(); }
const float* dynamic_thresholds(DynamicMap which) { return tables(which).thresholds.data(); }

uint8_t dynamic_encode(float v, DynamicMap which) {
  uint8_t code = 0;
  blockwise_encode_ref(&v, 1, 1.0f, dynamic_thresholds(which), &code);
  return code;
}

void blockwise_quantize(const float* x, int64_t n, int64_t block, DynamicMap which, uint8_t* codes,
                        float* absmax) {
  LB_CHECK(block > 0, "[blockwise_quantize] block size must be > 0, got ", block);
  const BlockwiseKernel& k = blockwise_kernels().chosen();
  const float* t = dynamic_thresholds(which);
  int64_t blocks = (n + block - 1) / block;
  int64_t grain = std::max<int64_t>(1, 65536 / block);
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t off = b * block, len = std::min(block, n - off);
      absmax[b] = k.absmax(x + off, len);
      k.encode(x + off, len, absmax[b], t, codes + off);
    }
  });
}

void blockwise_dequantize(const uint8_t* codes, const float* absmax, int64_t n, int64_t block,
                          DynamicMap which, float* x) {
  LB_CHECK(block > 0, "[blockwise_dequantize] block size must be > 0, got ", block);
  const BlockwiseKernel& k = blockwise_kernels().chosen();
  const float* map = dynamic_map(which);
  int64_t blocks = (n + block - 1) / block;
  int64_t grain = std::max<int64_t>(1, 65536 / block);
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t off = b * block;
      k.decode(codes + off, std::min(block, n - off), absmax[b], map, x + off);
    }
  });
}

}  // namespace lowbit
