// The integer layer norm's row loops on 8-bit codes (x, x̂, gamma, dy all int8: integer training
// at <= 8 bits) as a kernel family: `_ref` (baseline) and AVX2 / AVX-512 builds of the same source
// (kernels/ref/int_ln_math.h), bit-identical. Wider codes run the baseline template.
#pragma once

#include <cstdint>

#include "lowbit/kernels/registry.h"

namespace lowbit {

struct IntLnKernel {
  const char* name;
  Isa isa;
  void (*normalize)(const int8_t* q, float s, int64_t r0, int64_t r1, int64_t c, double eps,
                    float* xhat, float* rstd);
  void (*affine)(const int8_t* h, const int8_t* g, float k, const float* beta, int64_t r0,
                 int64_t r1, int64_t c, float* y);
  void (*backward)(const int8_t* e, const int8_t* h, const int8_t* g, const float* rstd, float sd,
                   float sh, float sg, int64_t r0, int64_t r1, int64_t c, float* dx,
                   int64_t* part);
};

#define LOWBIT_INT_LN_DECLARE(isa)                                                              \
  void int_ln_normalize_s8_##isa(const int8_t* q, float s, int64_t r0, int64_t r1, int64_t c,  \
                                 double eps, float* xhat, float* rstd);                        \
  void int_ln_affine_s8_##isa(const int8_t* h, const int8_t* g, float k, const float* beta,    \
                              int64_t r0, int64_t r1, int64_t c, float* y);                    \
  void int_ln_backward_s8_##isa(const int8_t* e, const int8_t* h, const int8_t* g,             \
                                const float* rstd, float sd, float sh, float sg, int64_t r0,   \
                                int64_t r1, int64_t c, float* dx, int64_t* part);
LOWBIT_INT_LN_DECLARE(ref)
LOWBIT_INT_LN_DECLARE(avx2)
LOWBIT_INT_LN_DECLARE(avx512)
#undef LOWBIT_INT_LN_DECLARE

const KernelFamily<IntLnKernel>& int_ln_kernels();

}  // namespace lowbit
