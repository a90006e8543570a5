// Names a function after the build that defines it (LOWBIT_BUILD_ISA: ref, avx2, avx512), for the
// element-loop families whose variants are one source compiled per ISA (`*_defs.h`).
#pragma once

#define LOWBIT_ISA_CAT2(a, b) a##b
#define LOWBIT_ISA_CAT(a, b) LOWBIT_ISA_CAT2(a, b)
#define LOWBIT_ISA_FN(stem) LOWBIT_ISA_CAT(stem, LOWBIT_BUILD_ISA)
