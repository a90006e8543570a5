// The int_layer_norm family's avx2 build of kernels/ref/int_ln_math.h (bit-identical to the ref).
#define LOWBIT_BUILD_ISA avx2
#include "lowbit/kernels/ref/int_ln_defs.h"
