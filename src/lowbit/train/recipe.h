// A training recipe: a flat table of dotted keys ("model.layers") with typed values, each key
// declared once with its default and meaning in recipe.cpp, so files, --set and checkpoints agree.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace lowbit {

// Every key always has a value: a recipe starts from the defaults and is only ever overridden,
// and every change is validated (type, range, allowed values) when it is made.
class Recipe {
 public:
  // The built-in recipe (the defaults column of the key table).
  static Recipe defaults();
  // TOML: `[model] layers = 4` (or top-level `model.layers = 4`) over the defaults. Unknown
  // sections or keys, wrong types and bad values are errors naming the file, line and key.
  static Recipe from_file(const std::string& path);
  // A flat object {"model.layers": 4, ...} over the defaults (what to_json writes).
  static Recipe from_json(const nlohmann::json& j);
  // Every key; doubles are written so they read back bit for bit.
  nlohmann::json to_json() const;

  // "optim.lr=3e-4": the text is parsed as the key's type. Strings are taken as they are
  // (one pair of surrounding double quotes is dropped); bools are true|false.
  void set(const std::string& assignment);

  // Asking for an unknown key, or for a key of another type, is an error.
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  bool get_bool(const std::string& key) const;

  // One line per key, grouped by section in table order: `model.layers = 4   # meaning`.
  // Strings are quoted and floats carry a '.' or an exponent, so the text is itself valid TOML.
  std::string describe() const;

  bool operator==(const Recipe& other) const = default;

  using Value = std::variant<int64_t, double, std::string, bool>;

 private:
  Recipe() = default;
  // Index of the key in the table; an error (prefixed by where) naming the closest valid key
  // when there is none.
  static size_t index_of(const std::string& key, const std::string& where);
  // Validates v against row i's type, range and allowed values, then stores it. where names
  // the source ("recipe.toml:3", "--set", ...) for the error message.
  void assign(size_t i, Value v, const std::string& where);
  const Value& value_of(const std::string& key, size_t type_index, const char* getter) const;

  std::vector<Value> values_;  // one per key-table row, in table order
};

// The items of a comma-separated value ("ffn, attention"), spaces around each trimmed, empty
// items dropped: the format of model.tt_layers and of `lowbit quantize --exclude`.
std::vector<std::string> split_list(const std::string& value);

}  // namespace lowbit
