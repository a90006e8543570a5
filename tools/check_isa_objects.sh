#!/usr/bin/env bash
# Fails when an ISA-specific object (src/**/*_avx2.cpp, *_avx512*.cpp, *_avxvnni.cpp, *_amx.cpp, built with
# -mavx2 etc.) defines a weak (COMDAT) symbol: an inline function or template instantiated there
# is compiled with that ISA, and the linker may pick that copy for every caller, so code meant to
# run on any x86-64 would execute AVX2 or AVX-512 instructions. Kernels must call baseline
# functions (or keep helpers in an unnamed namespace) instead. Checks the objects of lowbit_core
# (as optimised) and of lowbit_isa_o0 (the same files at -O0 -fno-inline, where nothing hides
# behind inlining).
# Usage: tools/check_isa_objects.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
objects=$(find "$build" \( -path '*lowbit_core.dir*' -o -path '*lowbit_isa_o0.dir*' \) \
  \( -name '*_avx2.cpp.o' -o -name '*_avx512*.cpp.o' -o -name '*_avxvnni.cpp.o' -o -name '*_amx.cpp.o' \))
[ -n "$objects" ] || { echo "check_isa_objects: no ISA objects under $build" >&2; exit 1; }
bad=0
for o in $objects; do
  # W/V: weak symbols; u: unique global (inline variables). The C++ personality reference is data.
  syms=$(nm -C --defined-only "$o" | awk '$2 == "W" || $2 == "V" || $2 == "u"' |
    grep -v 'DW.ref.__gxx_personality_v0' || true)
  if [ -n "$syms" ]; then
    echo "$o defines weak symbols compiled for its ISA:"
    echo "$syms" | sed 's/^/  /'
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "check_isa_objects: $(echo "$objects" | wc -l) ISA objects, no weak symbols"
exit "$bad"
