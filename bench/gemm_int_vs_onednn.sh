#!/usr/bin/env bash
# lowbit int8 GEMM (Y = X·Wᵀ, int32 sums + f32 scale epilogue) vs oneDNN dnnl_gemm_s8s8s32, with
# both libraries' f32 GEMM as the yardstick, 1 and 2 threads, as a markdown table (GOP/s), and
# each engine's count of wrong int32 sums on a sample (full-range codes; see the driver).
# Installs Debian's libdnnl-dev if missing; builds its own driver. Env: BUILD_DIR (default
# build), REPS (default 3), THREADS (default "1 2"), ROUNDS (default 1: processes per library and
# thread count, alternating, best kept, so a slow spell of a shared machine hits both).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
reps=${REPS:-3}
threads=${THREADS:-"1 2"}
rounds=${ROUNDS:-1}
if ! dpkg -s libdnnl-dev >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq libdnnl-dev >/dev/null
fi
if [ ! -f "$build/liblowbit_core.a" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target lowbit_core -j2 >/dev/null
driver="$build/gemm_int_vs_onednn"
g++ -std=c++20 -O2 -I"$root/src" "$root/bench/gemm_int_vs_onednn.cpp" "$build/liblowbit_core.a" \
  -ldnnl -fopenmp -lz -o "$driver"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for t in $threads; do
  for _ in $(seq "$rounds"); do
    for lib in lowbit onednn; do  # separate processes: idle OpenMP workers would steal cores
      LOWBIT_NUM_THREADS=$t OMP_NUM_THREADS=$t DNNL_VERBOSE=0 "$driver" "$lib" "$reps" |
        sed "s/^/$t /" >>"$results"
    done
  done
done
echo "| M x K x N (Y = X·Wᵀ) | threads | lowbit int8 | oneDNN s8s8s32 | lowbit f32 | oneDNN f32 | lowbit int8 / oneDNN int8 | wrong int32 sums, lowbit / oneDNN |"
echo "|---|---|---|---|---|---|---|---|"
awk '{ key = $2 "x" $3 "x" $4 " " $1; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
       if ($5 ~ /_wrong$/ || !((key, $5) in v) || $6 + 0 > v[key, $5] + 0) v[key, $5] = $6 }
     END { for (i = 1; i <= n; ++i) { split(order[i], f, " ")
             li = v[order[i], "lowbit_int8"]; oi = v[order[i], "onednn_int8"]
             printf "| %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %s / %s |\n", f[1], f[2], li, oi,
                    v[order[i], "lowbit_f32"], v[order[i], "onednn_f32"], (oi > 0 ? li / oi : 0),
                    v[order[i], "lowbit_wrong"], v[order[i], "onednn_wrong"] } }' "$results"
