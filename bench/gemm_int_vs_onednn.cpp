// Driver for bench/gemm_int_vs_onednn.sh: Y = X·Wᵀ on the transformer shapes with int8 codes,
// lowbit's gemm_int (int32 sums, f32 epilogue with row and column scales) against oneDNN's
// dnnl_gemm_s8s8s32 (int32 sums) and, for reference, both libraries' f32 GEMM. Prints
// "M K N engine GOP/s" lines (2 x MACs per second, best of the repetitions), then one
// "M K N engine_wrong count/checked" line: the engine's raw int32 sums of the same full-range
// codes (-127..127) against an int64 dot product on a sample of entries. An int8 product through
// VPMADDUBSW on u8 = a + 128 without VNNI saturates its int16 pair sums, so a fast path can be
// a wrong one; this line shows which.
#include <oneapi/dnnl/dnnl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "lowbit/core/tensor.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/ops/gemm_int.h"

namespace {

double best_seconds(const std::function<void()>& fn, int reps, double min_seconds) {
  fn();  // warm-up: page faults, packing scratch
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    int calls = 0;
    auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      fn();
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < min_seconds);
    best = std::min(best, elapsed / calls);
  }
  return best;
}

// Entries (i, j) of the int32 result that differ from the exact int64 dot product of row i of
// x (m, k) and row j of w (n, k), over a fixed sample of 997 entries.
int64_t wrong_entries(const std::vector<int8_t>& x, const std::vector<int8_t>& w,
                      const std::vector<int32_t>& y, int64_t m, int64_t k, int64_t n, int64_t* checked) {
  int64_t wrong = 0;
  *checked = 0;
  for (int64_t s = 0; s < 997; ++s, ++*checked) {
    const int64_t i = (s * 7919) % m, j = (s * 104729) % n;
    int64_t dot = 0;
    for (int64_t p = 0; p < k; ++p) dot += int64_t{x[i * k + p]} * w[j * k + p];
    wrong += dot != y[i * n + j];
  }
  return wrong;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string lib = argc > 1 ? argv[1] : "";
  if (lib != "lowbit" && lib != "onednn") {
    std::fprintf(stderr, "usage: %s lowbit|onednn [reps] [min_seconds]\n", argv[0]);
    return 2;
  }
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  const double min_seconds = argc > 3 ? std::atof(argv[3]) : 0.1;
  const int64_t kn[][2] = {{384, 384}, {384, 1536}, {1536, 384}, {768, 768}, {768, 3072}, {3072, 768}};
  for (int64_t m : {512, 4096})
    for (const auto& s : kn) {
      const int64_t k = s[0], n = s[1];
      std::vector<int8_t> x(m * k), w(n * k);
      for (int64_t i = 0; i < m * k; ++i) x[i] = static_cast<int8_t>((i * 37) % 255 - 127);
      for (int64_t i = 0; i < n * k; ++i) w[i] = static_cast<int8_t>((i * 91) % 255 - 127);
      std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end());
      // The output as the engine's activations are: a 64-byte aligned tensor (for both libraries).
      lowbit::Tensor y = lowbit::Tensor::empty({m, n});
      float* yf = y.data<float>();
      std::vector<int32_t> yi(m * n);
      const float row = 0.5f, col = 0.25f;
      double t_int, t_f32;
      if (lib == "lowbit") {
        const lowbit::ops::IntMatrix a{lowbit::GemmIntSrc::s8, x.data(), k, false, 8};
        const lowbit::ops::IntMatrix b{lowbit::GemmIntSrc::s8, w.data(), k, true, 8};
        lowbit::ops::IntOutput o;
        o.mode = lowbit::GemmIntOut::f32;
        o.c = yf;
        o.ldc = n;
        o.row_scale = &row;
        o.col_scale = &col;
        t_int = best_seconds([&] { lowbit::ops::gemm_int(m, n, k, a, b, o); }, reps, min_seconds);
        t_f32 = best_seconds([&] {
          lowbit::ops::gemm(false, true, m, n, k, 1.0f, xf.data(), k, wf.data(), k, 0.0f, yf, n);
        }, reps, min_seconds);
        lowbit::ops::IntOutput raw;  // the raw int32 sums, for the exactness probe
        raw.mode = lowbit::GemmIntOut::i32;
        raw.c = yi.data();
        raw.ldc = n;
        lowbit::ops::gemm_int(m, n, k, a, b, raw);
      } else {
        const int32_t co = 0;
        t_int = best_seconds([&] {
          dnnl_gemm_s8s8s32('N', 'T', 'F', m, n, k, 1.0f, x.data(), k, 0, w.data(), k, 0, 0.0f,
                            yi.data(), n, &co);
        }, reps, min_seconds);
        t_f32 = best_seconds([&] {
          dnnl_sgemm('N', 'T', m, n, k, 1.0f, xf.data(), k, wf.data(), k, 0.0f, yf, n);
        }, reps, min_seconds);
      }
      int64_t checked = 0;
      const int64_t wrong = wrong_entries(x, w, yi, m, k, n, &checked);
      const double ops = 2.0 * m * n * k * 1e-9;
      std::printf("%lld %lld %lld %s_int8 %.2f\n%lld %lld %lld %s_f32 %.2f\n",
                  static_cast<long long>(m), static_cast<long long>(k), static_cast<long long>(n),
                  lib.c_str(), ops / t_int, static_cast<long long>(m), static_cast<long long>(k),
                  static_cast<long long>(n), lib.c_str(), ops / t_f32);
      std::printf("%lld %lld %lld %s_wrong %lld/%lld\n", static_cast<long long>(m),
                  static_cast<long long>(k), static_cast<long long>(n), lib.c_str(),
                  static_cast<long long>(wrong), static_cast<long long>(checked));
      std::fflush(stdout);
    }
  return 0;
}
