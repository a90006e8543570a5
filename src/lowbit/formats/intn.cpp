// Symmetric n-bit integer scales and int4 packing (layout in intn.h).
// Scales are computed here once so the quantizer, its kernels and the GEMM packers agree.
#include "lowbit/formats/intn.h"

#include <cmath>

namespace lowbit {

float intn_scale_amax(float amax, int bits) {
  if (!(amax > 0.0f)) return 0.0f;
  return amax / static_cast<float>(intn_qmax(bits));
}

float intn_scale_pow2(float amax, int bits) {
  if (!(amax > 0.0f)) return 0.0f;
  int e = 0;
  std::frexp(amax, &e);  // amax = m * 2^e, m in [0.5, 1)
  return std::ldexp(1.0f, e - bits + 1);
}

void int4_pack(const int8_t* codes, int64_t n, uint8_t* packed) {
  for (int64_t i = 0; i + 1 < n; i += 2) packed[i / 2] = int4_pack_pair(codes[i], codes[i + 1]);
  if (n % 2) packed[n / 2] = int4_pack_pair(codes[n - 1], 0);
}

void int4_unpack(const uint8_t* packed, int64_t n, int8_t* codes) {
  for (int64_t i = 0; i < n; ++i)
    codes[i] = int4_at(packed, i);
}

}  // namespace lowbit
