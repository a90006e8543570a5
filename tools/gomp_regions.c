// Counts a process's OpenMP parallel regions and explicit barriers (libgomp's GOMP_parallel and
// GOMP_barrier), printed at exit: how many synchronisations a training step costs.
//   gcc -O2 -shared -fPIC tools/gomp_regions.c -o /tmp/gomp_regions.so -ldl
//   LD_PRELOAD=/tmp/gomp_regions.so build/lowbit bench-step ... --steps 1 --warmup 0   (and 11:
//   the difference over 10 steps is per-step)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static long n_parallel, n_barrier;

typedef void (*parallel_fn)(void (*)(void*), void*, unsigned, unsigned);
void GOMP_parallel(void (*fn)(void*), void* data, unsigned threads, unsigned flags) {
  static parallel_fn real;
  if (!real) real = (parallel_fn)dlsym(RTLD_NEXT, "GOMP_parallel");
  __atomic_fetch_add(&n_parallel, 1, __ATOMIC_RELAXED);
  real(fn, data, threads, flags);
}

typedef void (*barrier_fn)(void);
void GOMP_barrier(void) {
  static barrier_fn real;
  if (!real) real = (barrier_fn)dlsym(RTLD_NEXT, "GOMP_barrier");
  __atomic_fetch_add(&n_barrier, 1, __ATOMIC_RELAXED);
  real();
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "GOMP_parallel %ld GOMP_barrier %ld\n", n_parallel, n_barrier);
}
