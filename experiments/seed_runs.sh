# Shared by the multi-seed experiments (sourced, not run): one training run per (name, seed),
# skipped when its metrics already hold a summary, and a mean/spread table of the results.
# The caller sets $out (run folder) and $threads, and calls seed_runs_init first.

seed_runs_init() {
  scripts/build.sh >/dev/null
  mkdir -p "$out"
  bin="$out/lowbit"  # a copy, so a rebuild during the runs does not swap the binary under them
  cp build/lowbit "$bin"
}

seed_run() {  # name recipe seed extra-args...
  local name=$1 recipe=$2 seed=$3
  shift 3
  local dir="$out/$name-s$seed"
  if [ ! -f "$dir/metrics.jsonl" ] || ! grep -q '"summary"' "$dir/metrics.jsonl"; then
    "$bin" train --recipe "$recipe" --set train.seed="$seed" --set train.threads="$threads" \
      --set train.out_dir="$dir" "$@" > "$dir.log" 2>&1
  fi
  acc=$(grep '"summary"' "$dir/metrics.jsonl" | sed 's/.*"test_accuracy":\([0-9.]*\).*/\1/')
  state=$(grep -m1 "optimizer state" "$dir.log" | sed 's/.*optimizer state \([0-9]*\) bytes.*/\1/')
  wall=$(grep -m1 "wall time" "$dir.log" | sed 's/.*wall time: *\([0-9.]*\) s.*/\1/')
  echo "$name seed $seed accuracy $acc state_bytes ${state:-?} wall_s ${wall:-?}"
}

seed_table() {  # runs.txt: mean and spread per name, in first-seen order
  python3 - "$1" <<'PY'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append(float(f[4]) * 100)
print("| run | seeds | accuracy % (each) | mean | spread (max-min) |")
print("|---|---|---|---|---|")
for name, accs in rows.items():
    print(f"| {name} | {len(accs)} | {', '.join(f'{a:.2f}' for a in accs)} | {st.mean(accs):.2f} | {max(accs)-min(accs):.2f} |")
PY
}
