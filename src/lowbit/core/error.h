// Errors and checks: every failure a user can cause says what failed and what the shapes,
// files or keys were; kernels only assert (their callers validated).
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lowbit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenate anything streamable into one message.
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// "(768, 3072)"
std::string shape_str(const std::vector<int64_t>& shape);

[[noreturn]] void assert_fail(const char* expr, const char* file, int line);

}  // namespace lowbit

#define LB_CHECK(cond, ...)                                   \
  do {                                                        \
    if (!(cond)) throw ::lowbit::Error(::lowbit::cat(__VA_ARGS__)); \
  } while (0)

#define LB_FAIL(...) throw ::lowbit::Error(::lowbit::cat(__VA_ARGS__))

// Kernel preconditions: cheap, always on, abort with the location (a bug, not bad input).
#define LB_ASSERT(cond)                                                \
  do {                                                                 \
    if (!(cond)) ::lowbit::assert_fail(#cond, __FILE__, __LINE__);     \
  } while (0)
