// Resident-set sizes read from /proc/self/status (Linux reports them in kB).
#include "lowbit/train/memory.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstring>

namespace lowbit {

namespace {
// The value of a "Name:   1234 kB" line of /proc/self/status in bytes; 0 when absent.
size_t status_kb_field(const char* name) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  size_t len = std::strlen(name), kb = 0;
  char line[256];
  while (std::fgets(line, sizeof(line), f)) {
    if (std::strncmp(line, name, len) == 0 && line[len] == ':') {
      std::sscanf(line + len + 1, "%zu", &kb);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}
}  // namespace

size_t peak_rss_bytes() {
  if (size_t b = status_kb_field("VmHWM")) return b;
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<size_t>(u.ru_maxrss) * 1024;  // kB on Linux
}

size_t current_rss_bytes() {
  return status_kb_field("VmRSS");
}

}  // namespace lowbit
