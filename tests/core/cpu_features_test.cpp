// CPU detection is consistent and the ISA cap is honoured.
#include "lowbit/kernels/cpu_features.h"

#include <gtest/gtest.h>

namespace lowbit {

TEST(CpuFeatures, OrderingIsConsistent) {
  EXPECT_TRUE(cpu_supports(Isa::scalar));
  if (cpu_supports(Isa::amx)) EXPECT_TRUE(cpu_supports(Isa::avx512_vnni));
  if (cpu_supports(Isa::avx512_vnni)) EXPECT_TRUE(cpu_supports(Isa::avx512));
  if (cpu_supports(Isa::avx512)) EXPECT_TRUE(cpu_supports(Isa::avx2));
  if (cpu_supports(Isa::avx_vnni)) EXPECT_TRUE(cpu_supports(Isa::avx2));
  EXPECT_TRUE(cpu_supports(cpu_isa_detected()));
}

TEST(CpuFeatures, CapLimitsUsable) {
  Isa saved = isa_cap();
  isa_cap_set(Isa::scalar);
  EXPECT_TRUE(isa_usable(Isa::scalar));
  EXPECT_FALSE(isa_usable(Isa::avx2));
  isa_cap_set(saved);
  EXPECT_EQ(isa_parse("avx512_vnni"), Isa::avx512_vnni);
  EXPECT_EQ(isa_parse("amx"), Isa::amx);
  EXPECT_FALSE(isa_parse("sse9").has_value());
}

}  // namespace lowbit
