// numerics.qat_layer_bits: parsed once, matched by substring in entry order.
#include "lowbit/train/qat_bits.h"

#include <cstdlib>

#include "lowbit/core/error.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

namespace {

int checked_bits(const std::string& key, const std::string& text, int64_t b) {
  LB_CHECK(b >= 2 && b <= 8, key, " = ", text, ": ", b, " bits is out of range; numerics.mode = "
           "qat takes 2..8 bits (LSQ codes are stored in 8 bits)");
  return static_cast<int>(b);
}

std::string trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

int parse_bits(const std::string& key, const std::string& entry, const std::string& text) {
  const std::string digits = trimmed(text);
  char* end = nullptr;
  const long v = std::strtol(digits.c_str(), &end, 10);
  LB_CHECK(!digits.empty() && end && *end == '\0', key, ": entry \"", entry,
           "\" is not PATTERN=W or PATTERN=W/X with integer bits (e.g. \"ffn=4/8\")");
  return checked_bits(key, "\"" + entry + "\"", v);
}

}  // namespace

QatBitsTable::QatBitsTable(const Recipe& r) {
  for (const char* key : {"numerics.qat_weight_bits", "numerics.qat_act_bits"})
    checked_bits(key, std::to_string(r.get_int(key)), r.get_int(key));
  default_.weight = static_cast<int>(r.get_int("numerics.qat_weight_bits"));
  default_.act = static_cast<int>(r.get_int("numerics.qat_act_bits"));
  const std::string key = "numerics.qat_layer_bits";
  for (const std::string& entry : split_list(r.get_string(key))) {
    const size_t eq = entry.find('=');
    LB_CHECK(eq != std::string::npos && eq > 0, key, ": entry \"", entry,
             "\" is not PATTERN=W or PATTERN=W/X (e.g. \"ffn=4/8\")");
    const std::string bits = entry.substr(eq + 1);
    const size_t slash = bits.find('/');
    QatBits b = default_;
    b.weight = parse_bits(key, entry, bits.substr(0, slash));
    if (slash != std::string::npos) b.act = parse_bits(key, entry, bits.substr(slash + 1));
    const std::string pattern = trimmed(entry.substr(0, eq));
    LB_CHECK(!pattern.empty(), key, ": entry \"", entry, "\" has an empty PATTERN");
    entries_.emplace_back(pattern, b);
  }
}

QatBits QatBitsTable::for_name(const std::string& name) const {
  for (const auto& [pattern, bits] : entries_)
    if (name.find(pattern) != std::string::npos) return bits;
  return default_;
}

}  // namespace lowbit
