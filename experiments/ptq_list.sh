#!/usr/bin/env bash
# PTQ table (docs/RESULTS): quantize + eval one config per spec, e.g.
#   experiments/ptq_list.sh runs/vit-small vit 2000 e4m3:pt:max:8 int8:pc:mse:1
set -u
CK=$1; TAG=$2; NT=$3; shift 3
B=build/lowbit
for spec in "$@"; do
  IFS=: read fmt pc cal nb <<< "$spec"
  P=""; [ "$pc" = pc ] && P="--per-channel"
  Q=runs/q-$TAG-$fmt-$pc-$cal
  $B quantize --checkpoint $CK --format $fmt --calibration $cal --calibration-batches $nb $P --out $Q > $Q.log 2>&1 || { echo "FAIL $Q"; tail -2 $Q.log; continue; }
  echo "== $TAG $fmt $pc $cal (calib batches $nb, $(grep -o '[0-9.]* s)' $Q.log | head -1): $($B eval --checkpoint $Q --set data.max_test_examples=$NT | tail -1)"
done
