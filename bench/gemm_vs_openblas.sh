#!/usr/bin/env bash
# lowbit f32 GEMM vs OpenBLAS cblas_sgemm on the transformer shapes, 1 and 2 threads, printed
# as a markdown table. Installs Debian's libopenblas-dev if missing; builds its own driver.
# Env: BUILD_DIR (default build), REPS (best-of per process, default 5), ROUNDS (processes per
# library and thread count, best kept; default 2), THREADS (default "1 2"), GEMM_M (512 or 4096:
# only that M).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
reps=${REPS:-5}
rounds=${ROUNDS:-2}
threads=${THREADS:-"1 2"}

if ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq libopenblas-dev >/dev/null
fi

if [ ! -f "$build/liblowbit_core.a" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target lowbit_core -j2 >/dev/null

blas_flags=$(pkg-config --cflags --libs openblas 2>/dev/null || echo "-lopenblas")
driver="$build/gemm_vs_openblas"
# shellcheck disable=SC2086
g++ -std=c++20 -O2 -I"$root/src" "$root/bench/gemm_vs_openblas.cpp" "$build/liblowbit_core.a" \
  $blas_flags -fopenmp -lz -o "$driver"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  for t in $threads; do
    for lib in lowbit openblas; do
      # Separate processes: idle OpenBLAS and OpenMP workers spin and would steal cores.
      OPENBLAS_NUM_THREADS=$t LOWBIT_NUM_THREADS=$t OMP_NUM_THREADS=$t "$driver" "$lib" "$reps" |
        sed "s/^/$lib $t /" >>"$results"
    done
  done
done

echo "| M | K | N | product | threads | lowbit GFLOP/s | OpenBLAS GFLOP/s | ratio |"
echo "|---|---|---|---|---|---|---|---|"
awk '
  { shape = $3 " " $4 " " $5 " " $6
    if (!(shape in seen)) { seen[shape] = 1; order[++n] = shape }
    if (!($2 in tseen)) { tseen[$2] = 1; tlist[++nt] = $2 }
    if ($7 > best[$1, shape, $2]) best[$1, shape, $2] = $7 }
  END {
    split("Y=X·Wᵀ dX=dY·W dW+=dYᵀ·X", names, " ")
    for (i = 1; i <= n; ++i)
      for (j = 1; j <= nt; ++j) {
        split(order[i], f, " ")
        lb = best["lowbit", order[i], tlist[j]]; ob = best["openblas", order[i], tlist[j]]
        printf "| %s | %s | %s | %s | %s | %.1f | %.1f | %.2f |\n", f[1], f[2], f[3],
               names[f[4] + 1], tlist[j], lb, ob, (ob > 0 ? lb / ob : 0)
      }
  }' "$results"
