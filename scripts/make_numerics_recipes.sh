#!/usr/bin/env bash
# Writes the named numerics recipes (recipes/<base>-<numerics>.toml): a copy of the base recipe
# with its own out_dir and a [numerics] section (optim8: 8-bit optimizer state instead). Edit the
# base recipes, then rerun this.
set -euo pipefail
cd "$(dirname "$0")/.."
for base in bert-wordnet vit-fashion-mnist minilm-wordnet; do
  out=$(grep -o 'out_dir = "[^"]*"' "recipes/$base.toml" | sed 's/.*"\(.*\)"/\1/')
  for v in fp32 int16 int12 int10 int8 int4 fp8 optim8 qat8 qat4; do
    f="recipes/$base-$v.toml"
    {
      echo "# recipes/$base.toml with numerics $v (written by scripts/make_numerics_recipes.sh)."
      case $v in
        fp32) echo "# The f32 GEMM everywhere: the baseline the integer recipes compare to." ;;
        int4) echo "# 4-bit training (Xi et al. 2023): Hadamard quantizer forward, bit splitting and"
              echo "# leverage-score sampling backward, int4 GEMMs." ;;
        fp8) echo "# FP8 training: E4M3 weights and activations forward, E5M2 gradients backward,"
             echo "# per-tensor delayed scaling (amax history), f32 master weights." ;;
        optim8) echo "# FP32 numerics with the 8-bit AdamW (Dettmers et al. 2022): block-wise dynamic"
                echo "# 8-bit optimizer state, 32-bit for tensors under state_min_numel elements." ;;
        qat*) echo "# Quantization-aware training with learned step sizes (LSQ, Esser et al. 2020):"
              echo "# ${v#qat}-bit fake-quantized weights and layer inputs, f32 GEMMs and gradients." ;;
        *) echo "# Integer fine-tuning (Tayaranian et al. 2022): x, w, dy in ${v#int}-bit dynamic fixed"
           echo "# point (one power-of-two scale per tensor): integer GEMMs, attention products, layer"
           echo "# norms and embedding (numerics.int_layer_norm / int_embedding switch the last two off)." ;;
      esac
      echo
      if [ "$v" = optim8 ]; then
        sed -e '1,/^$/d' -e "s#out_dir = \"$out\"#out_dir = \"runs/$base-$v\"#" \
            -e 's#^\[optim\]$#[optim]\nstate = "8bit"            \# block-wise dynamic 8-bit m and v\nstate_block = 256\nstate_min_numel = 4096#' \
            "recipes/$base.toml"
        continue
      fi
      sed -e '1,/^$/d' -e "s#out_dir = \"$out\"#out_dir = \"runs/$base-$v\"#" "recipes/$base.toml"
      echo
      echo "[numerics]"
      case $v in
        fp32) echo 'mode = "fp32"' ;;
        int4) echo 'mode = "int4"'
              echo 'hadamard = true         # block Hadamard along K before quantizing x and w'
              # Block 16 on the hidden-64 ViT: 82.70 % vs 81.88 at block 64 over three seeds
              # (docs/RESULTS.md, ViT numerics table); BERT keeps 64.
              case $base in
                vit-*) echo 'hadamard_block = 16      # 16-wide rotations: measured better at hidden 64' ;;
                *) echo 'hadamard_block = 64' ;;
              esac
              echo 'bit_split = true        # dy as 8 bits = hi and lo int4 parts (dX: two int4 GEMMs)'
              echo 'leverage_sampling = true  # dW from about half the token rows, rescaled by 1/p'
              echo 'sample_fraction = 0.5' ;;
        fp8) echo 'mode = "fp8"'
             echo 'fp8_scaling = "delayed"  # scale from the max of the last amax_history amaxes'
             echo 'amax_history = 16' ;;
        qat*) echo 'mode = "qat"'
              echo "qat_weight_bits = ${v#qat}     # signed LSQ codes; step <layer>.weight_step"
              echo "qat_act_bits = ${v#qat}        # signed LSQ codes; step <layer>.act_step" ;;
        *) echo 'mode = "int"'
           echo "bits = ${v#int}               # sign included; weight_bits / act_bits / grad_bits override" ;;
      esac
    } > "$f"
  done
done
