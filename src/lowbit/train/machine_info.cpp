// Machine description: CPU brand and features, ISA detected and capped, threads, kernels.
#include "lowbit/train/machine_info.h"

#include <unistd.h>

#include <sstream>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

nlohmann::json machine_info_json() {
  const CpuFeatures& f = cpu_features();
  nlohmann::json j;
  j["cpu"] = f.brand.empty() ? f.vendor : f.brand;
  j["logical_cpus"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  j["features"] = {{"avx2", f.avx2},         {"fma", f.fma},
                   {"f16c", f.f16c},         {"avx_vnni", f.avx_vnni},
                   {"avx512f", f.avx512f},   {"avx512bw", f.avx512bw},
                   {"avx512vl", f.avx512vl}, {"avx512_vnni", f.avx512_vnni},
                   {"avx512_vbmi", f.avx512_vbmi}, {"amx_int8", f.amx_int8 && f.os_amx}};
  j["isa_detected"] = isa_name(cpu_isa_detected());
  j["isa_cap"] = isa_name(isa_cap());
  j["threads"] = num_threads();
  nlohmann::json kernels = nlohmann::json::object();
  for (const auto& row : kernel_choices()) kernels[row.family] = row.chosen;
  j["kernels"] = kernels;
  return j;
}

std::string machine_info_text() {
  const CpuFeatures& f = cpu_features();
  std::ostringstream out;
  out << "cpu:          " << (f.brand.empty() ? f.vendor : f.brand) << "\n";
  out << "logical cpus: " << sysconf(_SC_NPROCESSORS_ONLN) << "\n";
  out << "features:    ";
  auto flag = [&](const char* name, bool on) { if (on) out << " " << name; };
  flag("avx2", f.avx2); flag("fma", f.fma); flag("f16c", f.f16c); flag("avx_vnni", f.avx_vnni);
  flag("avx512f", f.avx512f); flag("avx512bw", f.avx512bw); flag("avx512dq", f.avx512dq);
  flag("avx512vl", f.avx512vl); flag("avx512_vnni", f.avx512_vnni);
  flag("avx512_vbmi", f.avx512_vbmi); flag("amx_int8", f.amx_int8 && f.os_amx);
  out << "\n";
  out << "isa:          " << isa_name(cpu_isa_detected()) << " detected, cap "
      << isa_name(isa_cap()) << " (LOWBIT_MAX_ISA)\n";
  out << "threads:      " << num_threads() << " (LOWBIT_NUM_THREADS)\n";
  out << "kernels:\n";
  for (const auto& row : kernel_choices()) {
    out << "  " << row.family << ": " << row.chosen << "   [";
    for (size_t i = 0; i < row.available.size(); ++i) out << (i ? ", " : "") << row.available[i];
    out << "]\n";
  }
  return out.str();
}

}  // namespace lowbit
