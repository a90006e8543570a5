// Our FP8 encoder against ml_dtypes (float8_e4m3fn, float8_e5m2) on 1000 floats; the fixture
// and the script that made it are tests/formats/{fp8_fixture.txt,make_fp8_fixture.py}.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "lowbit/formats/fp8.h"

namespace lowbit {
namespace {

// ml_dtypes casts round to nearest even without saturation: E4M3FN overflow (|x| > 464) and
// +-inf give NaN, E5M2 overflow (|x| >= 61440, the tie going to the even 2^16) gives +-inf.
// That is our non-saturating mode, so every row is compared, NaN codes included (we emit the
// same sign-keeping NaN codes). Our saturating mode must agree wherever ml_dtypes is finite.
TEST(Fp8Fixture, MatchesMlDtypes) {
  std::ifstream in(std::string(LOWBIT_SOURCE_DIR) + "/tests/formats/fp8_fixture.txt");
  ASSERT_TRUE(in) << "missing tests/formats/fp8_fixture.txt";
  std::string line;
  int rows = 0, overflows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    unsigned bits = 0, e4 = 0, e5 = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%x %x %x", &bits, &e4, &e5), 3) << line;
    float x = std::bit_cast<float>(static_cast<uint32_t>(bits));
    ++rows;
    EXPECT_EQ(fp8_encode(x, Fp8Kind::e4m3, false), e4) << "e4m3 x=" << x << " bits " << line;
    EXPECT_EQ(fp8_encode(x, Fp8Kind::e5m2, false), e5) << "e5m2 x=" << x << " bits " << line;
    overflows += std::isfinite(x) && std::isnan(fp8_decode(e4, Fp8Kind::e4m3));
    // Saturating mode equals ml_dtypes wherever ml_dtypes' result is finite.
    if (!std::isnan(fp8_decode(e4, Fp8Kind::e4m3)) && !std::isnan(x))
      EXPECT_EQ(fp8_encode(x, Fp8Kind::e4m3, true), e4) << "e4m3 sat x=" << x;
    if (std::isfinite(fp8_decode(e5, Fp8Kind::e5m2)) && !std::isnan(x))
      EXPECT_EQ(fp8_encode(x, Fp8Kind::e5m2, true), e5) << "e5m2 sat x=" << x;
  }
  EXPECT_EQ(rows, 1000);
  EXPECT_GT(overflows, 10);  // the fixture does exercise overflow
}

}  // namespace
}  // namespace lowbit
