// Error helpers: shape formatting and the abort path of LB_ASSERT.
#include "lowbit/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace lowbit {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "lowbit: internal assertion failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace lowbit
