// AVX-512 fused 8-bit Adam(W), for AVX-512 CPUs without VBMI (adam8_avx512vbmi.cpp is the
// choice with it): the shared pipelined loop (adam8_pipeline_avx512.h) decoding the old codes
// through the map's decade lines (dynamic_decode_avx512.h), no table load.
#include <immintrin.h>

#include "lowbit/kernels/x86/adam8_pipeline_avx512.h"
#include "lowbit/kernels/x86/dynamic_decode_avx512.h"

namespace lowbit {

namespace {

struct AffineDecoder {
  static constexpr int kLanes = 16;
  AffineV dm, dv;
  AffineDecoder(const Blockwise8Span& m, const Blockwise8Span& v)
      : dm(*m.t->affine), dv(*v.t->affine) {}
  void decode(const uint8_t* cm, const uint8_t* cv, __m512 am, __m512 av, __m512* mi,
              __m512* vi) const {
    mi[0] = lowbit::decode16(cm, dm, am);
    vi[0] = lowbit::decode16(cv, dv, av);
  }
  void decode16(const uint8_t* cm, const uint8_t* cv, __m512 am, __m512 av, __m512* mi,
                __m512* vi) const {
    decode(cm, cv, am, av, mi, vi);
  }
};

}  // namespace

void adam8_block_avx512(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                        const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  adam8_pipeline_for<AffineDecoder>(k, n, qblock, p, g, m, v);
}

}  // namespace lowbit
