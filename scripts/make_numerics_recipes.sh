#!/usr/bin/env bash
# Writes the named numerics recipes (recipes/<base>-<numerics>.toml): a copy of the base recipe
# with its own out_dir and a [numerics] section. Edit the base recipes, then rerun this.
set -euo pipefail
cd "$(dirname "$0")/.."
for base in bert-wordnet vit-fashion-mnist; do
  out=$(grep -o 'out_dir = "[^"]*"' "recipes/$base.toml" | sed 's/.*"\(.*\)"/\1/')
  variants="fp32 int16 int12 int10 int8 int4"
  [ "$base" = bert-wordnet ] && variants="$variants qat8 qat4"
  for v in $variants; do
    f="recipes/$base-$v.toml"
    {
      echo "# recipes/$base.toml with numerics $v (written by scripts/make_numerics_recipes.sh)."
      case $v in
        fp32) echo "# The f32 GEMM everywhere: the baseline the integer recipes compare to." ;;
        int4) echo "# 4-bit training (Xi et al. 2023): Hadamard quantizer forward, bit splitting and"
              echo "# leverage-score sampling backward, int4 GEMMs." ;;
        qat*) echo "# Quantization-aware training with learned step sizes (LSQ, Esser et al. 2020):"
              echo "# ${v#qat}-bit fake-quantized weights and layer inputs, f32 GEMMs and gradients." ;;
        *) echo "# Integer fine-tuning (Tayaranian et al. 2022): x, w, dy in ${v#int}-bit dynamic fixed"
           echo "# point (one power-of-two scale per tensor), integer GEMMs." ;;
      esac
      echo
      # qat8: 8-bit weight steps start near 0.003 and AdamW moves a step by about lr per update,
      # so the base lr (5e-4) drives them below 0 within ~150 steps (docs/DESIGN.md, LSQ).
      lr_fix=""
      [ "$v" = qat8 ] && lr_fix='s|^lr = 5e-4$|lr = 1e-4                     # not 5e-4: 8-bit LSQ weight steps are ~0.003 (docs/DESIGN.md)|'
      sed -e '1,/^$/d' -e "s#out_dir = \"$out\"#out_dir = \"runs/$base-$v\"#" ${lr_fix:+-e "$lr_fix"} "recipes/$base.toml"
      echo
      echo "[numerics]"
      case $v in
        fp32) echo 'mode = "fp32"' ;;
        qat*) echo 'mode = "qat"'
              echo "qat_weight_bits = ${v#qat}     # signed LSQ codes; step <layer>.weight_step"
              echo "qat_act_bits = ${v#qat}        # signed LSQ codes; step <layer>.act_step" ;;
        int4) echo 'mode = "int4"'
              echo 'hadamard = true         # block Hadamard along K before quantizing x and w'
              echo 'hadamard_block = 64'
              echo 'bit_split = true        # dy as 8 bits = hi and lo int4 parts (dX: two int4 GEMMs)'
              echo 'leverage_sampling = true  # dW from about half the token rows, rescaled by 1/p'
              echo 'sample_fraction = 0.5' ;;
        *) echo 'mode = "int"'
           echo "bits = ${v#int}               # sign included; weight_bits / act_bits / grad_bits override" ;;
      esac
    } > "$f"
  done
done
