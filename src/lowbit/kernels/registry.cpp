// The explicit list of kernel families, for `lowbit info` and run reports.
// A new family adds one line here.
#include "lowbit/kernels/registry.h"

#include "lowbit/kernels/gemm_f32.h"
#include "lowbit/kernels/gemm_f64.h"
#include "lowbit/kernels/gemm_int.h"
#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/gelu_kernels.h"
#include "lowbit/kernels/ref/hadamard_ref.h"
#include "lowbit/kernels/ref/int_ln_kernels.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/ref/rng_kernels.h"

namespace lowbit {

namespace {
template <class Family>
KernelChoice describe(const Family& family) {
  KernelChoice row{family.family(), family.chosen().name, {}};
  for (const auto& impl : family.all()) row.available.push_back(impl.name);
  return row;
}
}  // namespace

std::vector<KernelChoice> kernel_choices() {
  std::vector<KernelChoice> rows;
  rows.push_back(describe(gemm_f32_kernels()));
  rows.push_back(describe(gemm_f64_kernels()));
  rows.push_back(describe(gemm_s8_kernels()));
  rows.push_back(describe(gemm_s16_kernels()));
  rows.push_back(describe(gemm_s4_kernels()));
  rows.push_back(describe(fp8_encode_kernels()));
  rows.push_back(describe(fp8_decode_kernels()));
  rows.push_back(describe(intn_quant_kernels()));
  rows.push_back(describe(blockwise_kernels()));
  rows.push_back(describe(blockwise_lut_kernels()));
  rows.push_back(describe(adam8_kernels()));
  rows.push_back(describe(rng_words_kernels()));
  rows.push_back(describe(fwht_kernels()));
  rows.push_back(describe(gelu_kernels()));
  rows.push_back(describe(int_ln_kernels()));
  return rows;
}

}  // namespace lowbit
