// Kernel registry: one ordered list per kernel family, best first, `_ref` last. The choice
// is the first entry the CPU supports under the ISA cap. Families are listed explicitly in
// registry.cpp (no static initializers: the linker may drop them silently).
#pragma once

#include <string>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/kernels/cpu_features.h"

namespace lowbit {

template <class Impl>
class KernelFamily {
 public:
  // Impl must have `const char* name` and `Isa isa` members.
  KernelFamily(const char* family, std::vector<Impl> best_first)
      : family_(family), impls_(std::move(best_first)) {
    LB_ASSERT(!impls_.empty() && impls_.back().isa == Isa::scalar);
  }
  const char* family() const { return family_; }
  const std::vector<Impl>& all() const { return impls_; }

  // Recomputed on each call (a handful of comparisons) so a cap change applies at once and
  // concurrent callers never race on a cache.
  const Impl& chosen() const {
    for (const Impl& impl : impls_)
      if (isa_usable(impl.isa)) return impl;
    return impls_.back();
  }

  // Every variant that can run here (for parity tests), regardless of the cap.
  std::vector<const Impl*> runnable() const {
    std::vector<const Impl*> out;
    for (const Impl& impl : impls_)
      if (cpu_supports(impl.isa)) out.push_back(&impl);
    return out;
  }

 private:
  const char* family_;
  std::vector<Impl> impls_;
};

struct KernelChoice {
  std::string family;
  std::string chosen;
  std::vector<std::string> available;  // names of all registered variants, best first
};

// One row per kernel family, for `lowbit info` and run reports.
std::vector<KernelChoice> kernel_choices();

}  // namespace lowbit
