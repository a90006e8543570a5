// The `_ref` fused 8-bit Adam(W) block: the plain composition of the reference codec kernels and
// the shared update arithmetic, on stack scratch; and the kernel list.
#include "lowbit/kernels/ref/adam8.h"

#include <algorithm>

#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

void adam8_block_ref(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    int64_t len = std::min(qblock, n - off);
    blockwise_decode_ref(m.codes + off, len, m.absmax[b], m.t->map, sm);
    blockwise_decode_ref(v.codes + off, len, v.absmax[b], v.t->map, sv);
    optim::adam_update_block(k, len, p + off, g + off, sm, sv);
    m.absmax[b] = blockwise_absmax_ref(sm, len);
    v.absmax[b] = blockwise_absmax_ref(sv, len);
    blockwise_encode_ref(sm, len, m.absmax[b], m.t->thresholds, m.codes + off);
    blockwise_encode_ref(sv, len, v.absmax[b], v.t->thresholds, v.codes + off);
  }
}

void adam_update_block_f32(const optim::AdamCoeffs<float>& k, int64_t n, float* p, const float* g,
                           float* m, float* v) {
  optim::adam_update_block(k, n, p, g, m, v);
}

namespace {

// The VBMI variant is listed only where the CPU has VBMI: the Isa ladder cannot say it (Cascade
// Lake has AVX-512 VNNI without it), and a variant listed is one `runnable()` may run.
std::vector<Adam8Kernel> adam8_variants() {
  std::vector<Adam8Kernel> v;
  if (cpu_features().avx512_vbmi)
    v.push_back({"adam8_block_avx512vbmi", Isa::avx512, adam8_block_avx512vbmi});
  v.push_back({"adam8_block_avx512", Isa::avx512, adam8_block_avx512});
  v.push_back({"adam8_block_avx2", Isa::avx2, adam8_block_avx2});
  v.push_back({"adam8_block_ref", Isa::scalar, adam8_block_ref});
  return v;
}

}  // namespace

const KernelFamily<Adam8Kernel>& adam8_kernels() {
  static const KernelFamily<Adam8Kernel> f("adam8_block", adam8_variants());
  return f;
}

}  // namespace lowbit
