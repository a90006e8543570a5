#!/usr/bin/env bash
# AdamW step time and state size on the all-MiniLM-L6-v2 parameter shapes, CPU, 1 and 2 threads:
# lowbit 32-bit and 8-bit state (bench/optim_bench) next to torch.optim.AdamW, bitsandbytes
# AdamW8bit and torchao AdamW8bit (bench/optim_peers.py). Prints a markdown table.
# Installs torch, bitsandbytes and torchao with pip into .venv-bench (once); a peer that cannot be
# installed or has no CPU path is listed as skipped with the reason. PyPI's x86-64 torch wheel is
# the CUDA build, which runs on the CPU; TORCH_PIP_ARGS (e.g. an --index-url of CPU wheels) picks
# another. Env: BUILD_DIR (default build), OPTIM_BENCH (a built optim_bench, skips the build),
# STEPS (timed steps per peer, default 5), THREADS (default "1 2").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
steps=${STEPS:-5}
threads=${THREADS:-"1 2"}
venv=$root/.venv-bench

bench=${OPTIM_BENCH:-}
if [ -z "$bench" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target optim_bench -j2 >/dev/null
  bench=$build/optim_bench
fi

notes=()
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
# shellcheck disable=SC2086
"$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/pip" install -q ${TORCH_PIP_ARGS:-} torch ||
  notes+=("torch could not be installed: no peer numbers")
peers=torch,torch-fused
for pkg in bitsandbytes torchao; do
  if "$venv/bin/python" -c "import $pkg" 2>/dev/null || "$venv/bin/pip" install -q "$pkg"; then
    peers="$peers,$pkg"
  else
    notes+=("$pkg: pip install failed, skipped")
  fi
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for t in $threads; do
  # Modes of BM_AdamWStep: 0 = f32 state, 1 = 8-bit block 256, 2 = 8-bit block 2048.
  "$bench" --benchmark_filter="BM_AdamWStep/$t/[012]/" --benchmark_repetitions=$steps \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
    python3 -c '
import json, sys
names = {"0": "lowbit AdamW, 32-bit state", "1": "lowbit AdamW, 8-bit state (block 256)",
         "2": "lowbit AdamW, 8-bit state (block 2048)"}
for b in json.load(sys.stdin)["benchmarks"]:
    if b.get("aggregate_name") != "median": continue
    _, t, mode = b["run_name"].split("/")[:3]
    print(json.dumps({"peer": names[mode], "threads": int(t), "median_ms": b["real_time"],
                      "cpu_ms": b["cpu_time"], "state_mb": b["state_MB"]}))' >>"$results"
  if [ -x "$venv/bin/python" ]; then
    OMP_NUM_THREADS=$t "$venv/bin/python" "$root/bench/optim_peers.py" --threads "$t" \
      --steps "$steps" --peers "$peers" 2>/dev/null >>"$results" || notes+=("peers at $t threads failed")
  fi
done

python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = {"torch": "torch.optim.AdamW, 32-bit state", "torch-fused": "torch.optim.AdamW(fused=True)",
         "bitsandbytes": "bitsandbytes AdamW8bit",
         "torchao": "torchao AdamW8bit"}
print("| optimizer | threads | wall ms/step | CPU ms/step (all threads) | state MB |")
print("|---|---|---|---|---|")
for r in rows:
    if "skipped" not in r:
        print(f"| {names.get(r['peer'], r['peer'])} | {r['threads']} | {r['median_ms']:.1f} | "
              f"{r['cpu_ms']:.1f} | {r['state_mb']:.1f} |")
print("\nMedians over the timed steps. Wall time includes waiting for a core on a shared machine.")
skipped = {r["peer"]: r["skipped"] for r in rows if "skipped" in r}
for peer, why in skipped.items():
    print(f"skipped {names.get(peer, peer)}: {why}")
EOF
for n in "${notes[@]+"${notes[@]}"}"; do echo "note: $n"; done
