// A software prefetch at an offset from an array that may lie past its end: the address is
// formed in integers (a pointer past one-past-the-end would be undefined) and a prefetch never
// faults. Used where a kernel works from L1 while its input stream would otherwise idle.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace lowbit {
namespace {

template <_mm_hint kHint = _MM_HINT_T1>
inline void prefetch_after(const void* address, int64_t bytes) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(address) + bytes),
               kHint);
}

}  // namespace
}  // namespace lowbit
