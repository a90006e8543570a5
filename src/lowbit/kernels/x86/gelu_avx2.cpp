// The gelu family's avx2 build of kernels/ref/gelu_math.h (bit-identical to the ref).
#define LOWBIT_BUILD_ISA avx2
#include "lowbit/kernels/ref/gelu_defs.h"
