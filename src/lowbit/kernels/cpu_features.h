// Run-time CPU feature detection and the ISA cap (LOWBIT_MAX_ISA) that lets tests force
// every kernel path on one machine. Nothing here assumes the build machine's CPU.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lowbit {

// Ordered from least to most capable; a cap at X allows every Isa <= X that the CPU has.
// amx: AVX-512 VNNI plus AMX-INT8 tiles the OS lets this process use (Linux asks for the
// permission once, at the first probe).
enum class Isa : int { scalar = 0, avx2 = 1, avx_vnni = 2, avx512 = 3, avx512_vnni = 4, amx = 5 };

struct CpuFeatures {
  std::string vendor, brand;
  bool avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx_vnni = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512_vnni = false;
  bool avx512_vbmi = false;  // byte permutes (VPERMB, VPERMT2B): no Isa level of its own
  bool amx_tile = false, amx_int8 = false;
  bool os_avx = false, os_avx512 = false;  // XSAVE-enabled register state
  bool os_amx = false;  // tile state enabled in XCR0 and granted to this process
  // VPGATHERDD is microcoded and slow (AMD, Zen 1 to 5): table lookups go through scalar loads.
  bool slow_gather = false;
};

const CpuFeatures& cpu_features();
const char* isa_name(Isa isa);
std::optional<Isa> isa_parse(std::string_view name);

// Whether this CPU (and OS) can run code compiled for isa.
bool cpu_supports(Isa isa);
// The best ISA this CPU has, ignoring the cap.
Isa cpu_isa_detected();
// The cap: LOWBIT_MAX_ISA at start (an unknown value is an error), or isa_cap_set().
Isa isa_cap();
void isa_cap_set(Isa isa);
// Kernels of this isa may run: supported by the CPU and not above the cap.
inline bool isa_usable(Isa isa) { return cpu_supports(isa) && static_cast<int>(isa) <= static_cast<int>(isa_cap()); }

}  // namespace lowbit
