// The gelu family's avx512 build of kernels/ref/gelu_math.h (bit-identical to the ref).
#define LOWBIT_BUILD_ISA avx512
#include "lowbit/kernels/ref/gelu_defs.h"
