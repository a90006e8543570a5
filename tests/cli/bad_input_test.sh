#!/usr/bin/env bash
# Bad input through the real CLI: each case must exit with status 1 (an error, not a crash or
# a signal) and print a message naming the file or key at fault. Usage: bad_input_test.sh LOWBIT
set -uo pipefail
lowbit=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# expect_error NAME SUBSTRING -- command...
expect_error() {
  local name=$1 want=$2
  shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -eq 1 ] && [[ "$err" == *"$want"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc, wanted 1 and a message containing '$want'; got: $err"
  fi
}

tiny=(--set model.layers=1 --set model.hidden=16 --set model.heads=2 --set model.ffn=32
      --set data.max_train_examples=32 --set data.max_test_examples=16 --set train.max_steps=2
      --set train.batch_size=8 --set data.task=wordnet-pos)

expect_error missing-recipe "$tmp/none.toml" -- "$lowbit" train --recipe "$tmp/none.toml"
printf '[model]\nlayerz = 3\n' > "$tmp/unknown.toml"
expect_error unknown-key "layerz" -- "$lowbit" train --recipe "$tmp/unknown.toml"
printf '[model\nlayers = 3\n' > "$tmp/syntax.toml"
expect_error toml-syntax "$tmp/syntax.toml" -- "$lowbit" train --recipe "$tmp/syntax.toml"
expect_error bad-range "model.layers" -- "$lowbit" train --set model.layers=-1
expect_error bad-enum "optim.kind" -- "$lowbit" train --set optim.kind=adagrad
expect_error bad-type "train.batch_size" -- "$lowbit" train --set train.batch_size=many

# Data files: a missing dir, a garbage IDX file, a malformed TSV, a vocab without [CLS].
expect_error missing-data "$tmp/nowhere" -- "$lowbit" train "${tiny[@]}" --set data.dir="$tmp/nowhere"
mkdir -p "$tmp/fm"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  printf 'not an idx file' > "$tmp/fm/$f"
done
expect_error bad-idx "images-idx3-ubyte: bad magic" -- "$lowbit" train "${tiny[@]}" \
  --set model.kind=vit --set data.task=fashion-mnist --set data.dir="$tmp/fm"
printf 'sentence\tlabel\nfine\t1\nragged\n' > "$tmp/bad.tsv"
expect_error bad-tsv "$tmp/bad.tsv" -- "$lowbit" train "${tiny[@]}" --set data.task=text-file \
  --set data.train="$tmp/bad.tsv" --set data.test="$tmp/bad.tsv"
printf '[PAD]\n[UNK]\nhello\n' > "$tmp/vocab.txt"
expect_error bad-vocab "$tmp/vocab.txt" -- "$lowbit" train "${tiny[@]}" --set model.vocab="$tmp/vocab.txt"

# Checkpoints: train a tiny one, then truncate and corrupt it.
if "$lowbit" train "${tiny[@]}" --set train.out_dir="$tmp/run" >/dev/null 2>&1; then
  cp -r "$tmp/run" "$tmp/trunc"
  size=$(stat -c %s "$tmp/run/model.safetensors")
  truncate -s $((size / 2)) "$tmp/trunc/model.safetensors"
  expect_error truncated-checkpoint "$tmp/trunc/model.safetensors" -- "$lowbit" eval --checkpoint "$tmp/trunc"
  cp -r "$tmp/run" "$tmp/corrupt"
  printf '\xff\xff\xff\xff' | dd of="$tmp/corrupt/model.safetensors" bs=1 seek=0 conv=notrunc 2>/dev/null
  expect_error corrupt-checkpoint "$tmp/corrupt/model.safetensors" -- "$lowbit" eval --checkpoint "$tmp/corrupt"
  expect_error missing-checkpoint "$tmp/nothing" -- "$lowbit" eval --checkpoint "$tmp/nothing"
  expect_error resume-other-shape "model.safetensors" -- "$lowbit" train "${tiny[@]}" --set model.hidden=32 \
    --set train.out_dir="$tmp/run2" --resume "$tmp/run"
else
  failed=$((failed + 1))
  echo "FAIL tiny training run for the checkpoint cases did not succeed"
fi

echo "bad_input: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
