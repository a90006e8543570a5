// The lookup kind of a block-wise dynamic table (blockwise_lut.h), as a template argument pair for
// the SIMD encoders, which compile one loop per kind. Include only from files compiled with at
// least -mavx2; internal linkage only, as philox_x86.h.
#pragma once

#include "lowbit/kernels/ref/blockwise_lut.h"

namespace lowbit {
namespace {

// Calls fn.template operator()<kS, kNonneg>() for table t's lookup kind: the signed map's (17,
// with a negative row) or the unsigned map's (16, negatives as zero), the only two
// (EachMapHasItsLookupKind).
template <class Fn>
inline decltype(auto) with_lut_kind(const DynamicTables& t, Fn&& fn) {
  LB_ASSERT(t.lut_shift == (t.negatives_as_zero ? 16 : 17));
  return t.negatives_as_zero ? fn.template operator()<16, true>()
                             : fn.template operator()<17, false>();
}

}  // namespace
}  // namespace lowbit
