// Labelled text examples (one text or a text pair, one class label) and the loader for
// user-supplied classification files: TSV (GLUE style), CSV (RFC 4180) or JSON lines.
//
// File rules:
//   format "auto" picks by extension: .tsv, .csv, .jsonl / .json (one object per line).
//   TSV: fields split on tab, no quoting (GLUE's files hold literal quote characters).
//   CSV: comma-separated, RFC 4180 quoting ("a, b" and "say ""hi""" are one field; a quoted field
//        may span lines; errors name the line where the record starts).
//   TSV/CSV columns: by header name (first row). When every requested column is a number ("3"),
//        the file is read as having no header and the numbers are 0-based column indices
//        (GLUE's CoLA: text_column = "3", label_column = "1").
//   JSONL: columns are keys; a label may be a string, an integer or a boolean.
//   Blank lines are skipped; a UTF-8 byte-order mark and '\r' line ends are accepted.
//   Labels: without spec.label_names (the training file), label_names are the distinct label
//        strings sorted, numerically when all are integers ("2" before "10"), else by bytes; the
//        label is the index there. With spec.label_names (the test file), labels map onto those,
//        and a label not among them is an error naming file:line.
// Every error names the file, the line and the problem (missing column, ragged row, bad JSON,
// empty file, unknown label).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit {

struct TextExample {
  std::string a, b;  // b is empty for single-text tasks
  int32_t label;
};

struct TextDataset {
  std::vector<TextExample> examples;
  std::vector<std::string> label_names;  // label i is label_names[i]
};

struct TextFileSpec {
  std::string format = "auto";  // auto | tsv | csv | jsonl
  std::string text_column = "sentence";
  std::string text_pair_column = "";  // empty: single-text task
  std::string label_column = "label";
  std::vector<std::string> label_names;  // non-empty: labels must be among these (test split)
};

TextDataset load_text_file(const std::string& path, const TextFileSpec& spec);

}  // namespace lowbit
