// CPUID/XGETBV probing. Baseline x86-64 code only: this file must run on any x86-64 CPU.
#include "lowbit/kernels/cpu_features.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Linux keeps AMX tile data off until a process asks (arch_prctl ARCH_REQ_XCOMP_PERM for
// XFEATURE_XTILEDATA, 18); the first tile instruction of a process that did not ask faults.
bool request_tile_permission() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kReqXcompPerm = 0x1023, kXtileData = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
#else
  return false;
#endif
}

CpuFeatures probe() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  unsigned max_leaf = a;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;
  f.slow_gather = f.vendor == "AuthenticAMD";

  __get_cpuid(1, &a, &b, &c, &d);
  bool osxsave = c & (1u << 27);
  f.fma = c & (1u << 12);
  f.f16c = c & (1u << 29);
  bool avx = c & (1u << 28);
  uint64_t xcr0 = 0;
  if (osxsave) {
    xcr0 = xgetbv0();
    f.os_avx = avx && (xcr0 & 0x6) == 0x6;
    f.os_avx512 = f.os_avx && (xcr0 & 0xE0) == 0xE0;
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = f.os_avx && (b & (1u << 5));
    f.bmi2 = b & (1u << 8);
    f.avx512f = f.os_avx512 && (b & (1u << 16));
    f.avx512dq = f.os_avx512 && (b & (1u << 17));
    f.avx512bw = f.os_avx512 && (b & (1u << 30));
    f.avx512vl = f.os_avx512 && (b & (1u << 31));
    f.avx512_vnni = f.os_avx512 && (c & (1u << 11));
    f.avx512_vbmi = f.os_avx512 && (c & (1u << 1));
    f.amx_tile = d & (1u << 24);
    f.amx_int8 = d & (1u << 25);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = f.os_avx && (a & (1u << 4));
  }
  const uint64_t tile_state = (uint64_t{1} << 17) | (uint64_t{1} << 18);  // XTILECFG, XTILEDATA
  f.os_amx = f.amx_tile && f.amx_int8 && (xcr0 & tile_state) == tile_state &&
             request_tile_permission();
  unsigned ext_max = __get_cpuid_max(0x80000000u, nullptr);
  if (ext_max >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned leaf = 0; leaf < 3; ++leaf) {
      __get_cpuid(0x80000002u + leaf, &a, &b, &c, &d);
      std::memcpy(brand + 16 * leaf, &a, 4);
      std::memcpy(brand + 16 * leaf + 4, &b, 4);
      std::memcpy(brand + 16 * leaf + 8, &c, 4);
      std::memcpy(brand + 16 * leaf + 12, &d, 4);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
  }
  return f;
}

Isa initial_cap() {
  const char* s = std::getenv("LOWBIT_MAX_ISA");
  if (!s || !*s) return Isa::amx;
  auto isa = isa_parse(s);
  LB_CHECK(isa.has_value(), "LOWBIT_MAX_ISA=", s,
           " is not an ISA; use one of scalar, avx2, avx_vnni, avx512, avx512_vnni, amx");
  return *isa;
}

std::atomic<int>& cap_storage() {
  static std::atomic<int> cap{static_cast<int>(initial_cap())};
  return cap;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = probe();
  return f;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx_vnni: return "avx_vnni";
    case Isa::avx512: return "avx512";
    case Isa::avx512_vnni: return "avx512_vnni";
    case Isa::amx: return "amx";
  }
  return "?";
}

std::optional<Isa> isa_parse(std::string_view name) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx_vnni, Isa::avx512, Isa::avx512_vnni, Isa::amx})
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

bool cpu_supports(Isa isa) {
  const CpuFeatures& f = cpu_features();
  bool avx2 = f.avx2 && f.fma && f.f16c;
  bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl;
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return avx2;
    case Isa::avx_vnni: return avx2 && f.avx_vnni;
    case Isa::avx512: return avx512;
    case Isa::avx512_vnni: return avx512 && f.avx512_vnni;
    case Isa::amx: return avx512 && f.avx512_vnni && f.os_amx;
  }
  return false;
}

Isa cpu_isa_detected() {
  for (Isa isa : {Isa::amx, Isa::avx512_vnni, Isa::avx512, Isa::avx_vnni, Isa::avx2})
    if (cpu_supports(isa)) return isa;
  return Isa::scalar;
}

Isa isa_cap() { return static_cast<Isa>(cap_storage().load()); }

void isa_cap_set(Isa isa) {
  cap_storage().store(static_cast<int>(isa));
}

}  // namespace lowbit
