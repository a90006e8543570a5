// The f32 erf-GELU forward and backward element loops as a kernel family: `_ref` (baseline SSE2)
// and AVX2 / AVX-512 builds of the same source (kernels/ref/gelu_math.h), bit-identical.
#pragma once

#include <cstdint>

#include "lowbit/kernels/registry.h"

namespace lowbit {

struct GeluKernel {
  const char* name;
  Isa isa;
  // y = x Phi(x); dx = dy (Phi(x) + x phi(x)), element-wise over n values.
  void (*forward)(const float* x, float* y, int64_t n);
  void (*backward)(const float* x, const float* dy, float* dx, int64_t n);
};

void gelu_forward_ref(const float* x, float* y, int64_t n);
void gelu_backward_ref(const float* x, const float* dy, float* dx, int64_t n);
void gelu_forward_avx2(const float* x, float* y, int64_t n);
void gelu_backward_avx2(const float* x, const float* dy, float* dx, int64_t n);
void gelu_forward_avx512(const float* x, float* y, int64_t n);
void gelu_backward_avx512(const float* x, const float* dy, float* dx, int64_t n);

// The f32 approximations themselves (baseline build), for their accuracy test.
float gelu_erf_ref(float x);
float gelu_exp_nonpos_ref(float x);

const KernelFamily<GeluKernel>& gelu_kernels();

}  // namespace lowbit
