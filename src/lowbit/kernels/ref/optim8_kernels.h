// Fused 8-bit optimizer kernels (Dettmers et al., 8-bit optimizers): one update block of a
// parameter whose states are block-wise dynamic 8-bit is decoded, updated and re-encoded in one
// call, so no state is ever expanded to f32 beyond that block. `_ref` is the composition of the
// blockwise8 spec kernels and the shared update arithmetic; the AVX2 variant matches it bit for bit.
//
// Encode lookup table (Q8Tables::lut), a faster exact form of the threshold search: for a
// normalised value v with float bits b, a = b & 0x7FFFFFFF, bucket j = clamp(a >> 16, kLutFirst,
// kLutLast) (the exponent and the top 7 mantissa bits), e = lut[(b >> 31) * kLutBuckets + j -
// kLutFirst] = code << 17 | step, hit = (a & 0xFFFF) >= step, code(v) = code + (v < 0 ? -hit : hit),
// NaN -> 0. A bucket spans at most one threshold (checked when the table is built; step = 0x10000
// when it spans none); buckets below kLutFirst and above kLutLast span none.
#pragma once

#include <cstdint>

#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/registry.h"
#include "lowbit/optim/update_math.h"

namespace lowbit {

inline constexpr int32_t kLutFirst = 103 << 7;  // |v| < 2^-23 (1.2e-7): below the first threshold
inline constexpr int32_t kLutLast = 128 << 7;   // |v| >= 2: above the last threshold
inline constexpr int32_t kLutBuckets = kLutLast - kLutFirst + 1;

// The tables of one dynamic map: values, encode thresholds (see blockwise.h) and the lut above.
struct Q8Tables {
  const float* map;
  const float* thresholds;
  const uint32_t* lut;  // 2 * kLutBuckets entries
};
const Q8Tables& q8_tables(DynamicMap which);

// One state over one update block of n elements: codes (n) and absmax (ceil(n / qblock)).
struct Q8Block {
  uint8_t* codes;
  float* absmax;
  const Q8Tables* tables;
};

// codes[i] = nearest code of x[i] / absmax (0 when absmax is not > 0), as blockwise_encode_ref.
using Q8EncodeFn = void (*)(const float* x, int64_t n, float absmax, const Q8Tables& t,
                            uint8_t* codes);
// Per quantization block of qblock elements (qblock > 0; the last may be short): decode the
// states (map[code] * absmax), run adam_ / sgd_ / lion_update_block on them (p, g: (n)),
// then absmax = max |state| and encode. scratch: 2n floats (n <= kStateBlock in the optimizer).
using Adam8Fn = void (*)(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                         const float* g, const Q8Block& m, const Q8Block& v, float* scratch);
using Sgd8Fn = void (*)(const optim::SgdCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                        const float* g, const Q8Block& buf, float* scratch);
using Lion8Fn = void (*)(const optim::LionCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                         const float* g, const Q8Block& m, float* scratch);

struct Optim8Kernel {
  const char* name;
  Isa isa;
  Q8EncodeFn encode;
  Adam8Fn adam;
  Sgd8Fn sgd;
  Lion8Fn lion;
};

void q8_encode_ref(const float* x, int64_t n, float absmax, const Q8Tables& t, uint8_t* codes);
void adam8_block_ref(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& m, const Q8Block& v, float* scratch);
void sgd8_block_ref(const optim::SgdCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                    const float* g, const Q8Block& buf, float* scratch);
void lion8_block_ref(const optim::LionCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& m, float* scratch);

void q8_encode_avx2(const float* x, int64_t n, float absmax, const Q8Tables& t, uint8_t* codes);
void adam8_block_avx2(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Q8Block& m, const Q8Block& v, float* scratch);
void sgd8_block_avx2(const optim::SgdCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& buf, float* scratch);
void lion8_block_avx2(const optim::LionCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Q8Block& m, float* scratch);

// Baseline-compiled f32 instances of the shared arithmetic, for the tails of the AVX2 kernels
// (an ISA file must not instantiate the header's inline templates: the linker could keep its
// copy for baseline callers).
void adam_update_f32_ref(const optim::AdamCoeffs<float>& k, int64_t n, float* p, const float* g,
                         float* m, float* v);
void sgd_update_f32_ref(const optim::SgdCoeffs<float>& k, int64_t n, float* p, const float* g,
                        float* buf);
void lion_update_f32_ref(const optim::LionCoeffs<float>& k, int64_t n, float* p, const float* g,
                         float* m);

const KernelFamily<Optim8Kernel>& optim8_kernels();

}  // namespace lowbit
