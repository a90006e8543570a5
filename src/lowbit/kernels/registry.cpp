// The explicit list of kernel families, for `lowbit info` and run reports.
// A new family adds one line here.
#include "lowbit/kernels/registry.h"

#include "lowbit/kernels/gemm_f32.h"

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
  return rows;
}

}  // namespace lowbit
