// Loads user text-classification files (TSV, CSV, JSON lines) into TextDataset; the file rules
// are listed in text_dataset.h. Errors name file:line so a bad row is found without a debugger.
#include "lowbit/data/text_dataset.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

// One record with the line it starts on (1-based).
struct Row {
  int64_t line;
  std::vector<std::string> fields;
};

// One example before its label is turned into an index.
struct RawExample {
  int64_t line;
  std::string a, b, label;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LB_CHECK(in, "[text data] cannot open ", path, ": check data.train / data.test");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // UTF-8 byte-order mark
  return text;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string resolve_format(const std::string& path, const std::string& format) {
  if (format == "tsv" || format == "csv" || format == "jsonl") return format;
  LB_CHECK(format == "auto", "[text data] unknown data.format \"", format,
           "\": allowed are auto, tsv, csv, jsonl");
  if (ends_with(path, ".tsv")) return "tsv";
  if (ends_with(path, ".csv")) return "csv";
  if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return "jsonl";
  LB_FAIL("[text data] cannot tell the format of ", path,
          " from its extension (.tsv, .csv, .jsonl): set data.format to tsv, csv or jsonl");
}

std::vector<Row> split_tsv(const std::string& text) {
  std::vector<Row> rows;
  int64_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string s = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (s.empty()) continue;
    Row r{line, {}};
    for (size_t b = 0;;) {
      size_t tab = s.find('\t', b);
      r.fields.push_back(s.substr(b, tab == std::string::npos ? std::string::npos : tab - b));
      if (tab == std::string::npos) break;
      b = tab + 1;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

// RFC 4180: fields may be quoted; inside quotes "" is one quote and newlines are data.
std::vector<Row> split_csv(const std::string& text, const std::string& path) {
  std::vector<Row> rows;
  size_t i = 0, n = text.size();
  int64_t line = 1;
  auto at_line_end = [&](size_t k) {
    return k >= n || text[k] == '\n' || (text[k] == '\r' && (k + 1 >= n || text[k + 1] == '\n'));
  };
  auto skip_line_end = [&] {
    if (i < n && text[i] == '\r') ++i;
    if (i < n && text[i] == '\n') ++i, ++line;
  };
  while (i < n) {
    if (at_line_end(i)) {  // blank line
      skip_line_end();
      continue;
    }
    Row r{line, {}};
    for (;;) {
      std::string field;
      if (text[i] == '"') {
        int64_t open_line = line;
        for (++i;; ++i) {
          LB_CHECK(i < n, "[text data] ", path, ":", open_line,
                   ": a quoted field opened here is never closed (write a quote inside a quoted "
                   "field as \"\")");
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              ++i;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i];
        }
        LB_CHECK(i >= n || text[i] == ',' || at_line_end(i), "[text data] ", path, ":", line,
                 ": unexpected character '", text[i],
                 "' after a closing quote (quote the whole field and double the quotes in it)");
      } else {
        while (i < n && text[i] != ',' && !at_line_end(i)) field += text[i++];
      }
      r.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      skip_line_end();
      break;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<RawExample> from_rows(std::vector<Row> rows, const std::string& path,
                                  const TextFileSpec& spec) {
  LB_CHECK(!rows.empty(), "[text data] ", path, " is empty: expected rows of examples");
  bool pair = !spec.text_pair_column.empty();
  bool headerless = is_index(spec.text_column) && is_index(spec.label_column) &&
                    (!pair || is_index(spec.text_pair_column));
  size_t width = rows[0].fields.size();
  auto column = [&](const std::string& name, const char* key) -> size_t {
    if (headerless) {
      size_t c = std::stoul(name);
      LB_CHECK(c < width, "[text data] ", path, ":", rows[0].line, ": ", key, " = ", name,
               " but the row has ", width, " columns (numbered from 0)");
      return c;
    }
    auto it = std::find(rows[0].fields.begin(), rows[0].fields.end(), name);
    if (it != rows[0].fields.end()) return static_cast<size_t>(it - rows[0].fields.begin());
    std::string have;
    for (const std::string& f : rows[0].fields) have += (have.empty() ? "\"" : ", \"") + f + "\"";
    LB_FAIL("[text data] ", path, ":", rows[0].line, ": no column \"", name, "\" in the header (",
            have, "): set ", key,
            " to one of them (or give every column as a 0-based number for a file without a "
            "header)");
  };
  size_t ca = column(spec.text_column, "data.text_column");
  size_t cb = pair ? column(spec.text_pair_column, "data.text_pair_column") : 0;
  size_t cl = column(spec.label_column, "data.label_column");
  std::vector<RawExample> out;
  for (size_t k = headerless ? 0 : 1; k < rows.size(); ++k) {
    Row& r = rows[k];
    LB_CHECK(r.fields.size() == width, "[text data] ", path, ":", r.line, ": ", r.fields.size(),
             " fields, but ", headerless ? "the first row" : "the header", " (line ", rows[0].line,
             ") has ", width, " (a stray tab or comma, or an unquoted one in CSV?)");
    // Copies, not moves: one column may serve twice (say text and label).
    out.push_back({r.line, r.fields[ca], pair ? r.fields[cb] : "", r.fields[cl]});
  }
  return out;
}

// A JSON value as text: strings as they are, integers and booleans spelled out.
std::string json_text(const nlohmann::json& obj, const std::string& key, const std::string& path,
                      int64_t line, const char* spec_key) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    std::string have;
    for (auto& [k, v] : obj.items()) have += (have.empty() ? "\"" : ", \"") + k + "\"";
    LB_FAIL("[text data] ", path, ":", line, ": no field \"", key, "\" (fields: ", have, "): set ",
            spec_key);
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_boolean()) return it->dump();
  LB_FAIL("[text data] ", path, ":", line, ": field \"", key, "\" is ", it->type_name(),
          ", expected a string, an integer or a boolean");
}

std::vector<RawExample> from_jsonl(const std::string& text, const std::string& path,
                                   const TextFileSpec& spec) {
  std::vector<RawExample> out;
  int64_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string s = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (s.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(s);
    } catch (const nlohmann::json::parse_error& e) {
      LB_FAIL("[text data] ", path, ":", line, ": bad JSON (", e.what(),
              "): each line must be one JSON object");
    }
    LB_CHECK(obj.is_object(), "[text data] ", path, ":", line, ": a JSON ", obj.type_name(),
             ", expected one object per line");
    RawExample ex{line, json_text(obj, spec.text_column, path, line, "data.text_column"), "",
                  json_text(obj, spec.label_column, path, line, "data.label_column")};
    if (!spec.text_pair_column.empty())
      ex.b = json_text(obj, spec.text_pair_column, path, line, "data.text_pair_column");
    out.push_back(std::move(ex));
  }
  return out;
}

bool parse_int(const std::string& s, long long& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Distinct labels, numerically sorted when all are integers, else by bytes.
std::vector<std::string> label_names_of(const std::vector<RawExample>& raw) {
  std::vector<std::string> names;
  for (const RawExample& r : raw) names.push_back(r.label);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  long long x = 0;
  if (std::all_of(names.begin(), names.end(),
                  [&](const std::string& s) { return parse_int(s, x); }))
    std::stable_sort(names.begin(), names.end(), [](const std::string& p, const std::string& q) {
      long long a = 0, b = 0;
      parse_int(p, a);
      parse_int(q, b);
      return a < b;
    });
  return names;
}

}  // namespace

TextDataset load_text_file(const std::string& path, const TextFileSpec& spec) {
  std::string format = resolve_format(path, spec.format);
  std::string text = read_all(path);
  std::vector<RawExample> raw =
      format == "jsonl"
          ? from_jsonl(text, path, spec)
          : from_rows(format == "tsv" ? split_tsv(text) : split_csv(text, path), path, spec);
  LB_CHECK(!raw.empty(), "[text data] ", path, " has no examples",
           format == "jsonl" ? "" : " (only a header row)");
  TextDataset d;
  d.label_names = spec.label_names.empty() ? label_names_of(raw) : spec.label_names;
  std::map<std::string, int32_t> index;
  for (size_t i = 0; i < d.label_names.size(); ++i)
    index[d.label_names[i]] = static_cast<int32_t>(i);
  d.examples.reserve(raw.size());
  for (RawExample& r : raw) {
    auto it = index.find(r.label);
    if (it == index.end()) {
      std::string known;
      for (size_t i = 0; i < d.label_names.size() && i < 20; ++i)
        known += (i ? ", \"" : "\"") + d.label_names[i] + "\"";
      LB_FAIL("[text data] ", path, ":", r.line, ": label \"", r.label,
              "\" is not one of the training file's labels (", known,
              d.label_names.size() > 20 ? ", ..." : "", ")");
    }
    d.examples.push_back({std::move(r.a), std::move(r.b), it->second});
  }
  return d;
}

}  // namespace lowbit
