// Text-file loader on the tiny fixtures in tests/data/text/: TSV, CSV with RFC 4180 quoting, JSON
// lines, header-less files, label naming, and malformed files whose errors name file and line.
#include "lowbit/data/text_dataset.h"

#include <gtest/gtest.h>

#include "data/test_files.h"

namespace lowbit {
namespace {

using testing::error_of;
using testing::TempDir;

std::string fixture(const std::string& name) {
  return std::string(LOWBIT_TEST_DATA) + "/text/" + name;
}

using Names = std::vector<std::string>;

// The error for loading `name` must mention "<path>:<line>" and `what`.
void expect_error_at(const std::string& name, int line, const std::string& what,
                     TextFileSpec spec = {}) {
  std::string path = fixture(name);
  std::string msg = error_of([&] { load_text_file(path, spec); });
  EXPECT_NE(msg.find(path + ":" + std::to_string(line) + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
}

TEST(TextDataset, TsvWithHeader) {
  TextDataset d = load_text_file(fixture("train.tsv"), {});
  // Integer labels sort numerically: "10" after "1".
  EXPECT_EQ(d.label_names, (Names{"0", "1", "10"}));
  ASSERT_EQ(d.examples.size(), 4u);  // the blank line is skipped
  EXPECT_EQ(d.examples[0].a, "it is a good film");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].label, 0);
  EXPECT_EQ(d.examples[2].a, "\"quoted\" words stay literal");  // TSV has no quoting
  EXPECT_EQ(d.examples[3].label, 2);
  EXPECT_TRUE(d.examples[0].b.empty());
}

TEST(TextDataset, TestSplitUsesTrainingLabels) {
  TextFileSpec spec;
  spec.label_names = {"0", "1", "10"};
  TextDataset d = load_text_file(fixture("test.tsv"), spec);
  EXPECT_EQ(d.label_names, spec.label_names);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].label, 0);
  expect_error_at("unknown_label.tsv", 3, "label \"7\"", spec);
}

TEST(TextDataset, CsvPairsWithQuoting) {
  TextFileSpec spec;
  spec.text_column = "premise";
  spec.text_pair_column = "hypothesis";
  TextDataset d = load_text_file(fixture("pairs.csv"), spec);
  EXPECT_EQ(d.label_names, (Names{"contradiction", "entailment", "neutral"}));  // sorted by bytes
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].a, "A man, a plan");
  EXPECT_EQ(d.examples[0].b, "He said \"hi\"");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].b, "spans\ntwo lines");
  EXPECT_EQ(d.examples[2].a, "x");  // the '\r' of CRLF is not part of a field
  EXPECT_EQ(d.examples[2].label, 0);
}

TEST(TextDataset, JsonLines) {
  TextFileSpec spec;
  spec.text_column = "text";
  TextDataset d = load_text_file(fixture("data.jsonl"), spec);
  EXPECT_EQ(d.label_names, (Names{"2", "10"}));
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].a, "first \u00e9 example");
  EXPECT_EQ(d.examples[1].label, 1);
  EXPECT_EQ(d.examples[2].label, 0);
}

TEST(TextDataset, HeaderlessByColumnNumber) {
  TextFileSpec spec;
  spec.text_column = "3";
  spec.label_column = "1";
  TextDataset d = load_text_file(fixture("headerless.tsv"), spec);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].a, "the sailors rode the breeze clear of the rocks .");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].label, 0);
  spec.text_column = "4";
  std::string msg = error_of([&] { load_text_file(fixture("headerless.tsv"), spec); });
  EXPECT_NE(msg.find("data.text_column = 4"), std::string::npos) << msg;
}

TEST(TextDataset, FormatForcedOrUnknown) {
  TempDir dir;
  std::string p = dir.write("data.txt", "sentence,label\nhello,a\n");
  std::string msg = error_of([&] { load_text_file(p, {}); });
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
  EXPECT_NE(msg.find("data.format"), std::string::npos) << msg;
  TextFileSpec spec;
  spec.format = "csv";
  EXPECT_EQ(load_text_file(p, spec).examples.at(0).a, "hello");
  spec.format = "xml";
  msg = error_of([&] { load_text_file(p, spec); });
  EXPECT_NE(msg.find("auto, tsv, csv, jsonl"), std::string::npos) << msg;
}

TEST(TextDataset, MalformedFilesNameFileAndLine) {
  expect_error_at("ragged.tsv", 3, "3 fields");
  expect_error_at("bad_quote.csv", 3, "after a closing quote");
  expect_error_at("open_quote.csv", 3, "never closed");
  TextFileSpec spec;
  spec.text_column = "text";
  expect_error_at("bad.jsonl", 2, "bad JSON", spec);
  expect_error_at("missing_key.jsonl", 2, "no field \"text\"", spec);
  // A header without the asked-for column lists the columns it has.
  spec.text_column = "text";
  expect_error_at("train.tsv", 1, "no column \"text\" in the header (\"sentence\", \"label\")",
                  spec);
}

TEST(TextDataset, EmptyAndMissingFiles) {
  std::string msg = error_of([] { load_text_file(fixture("empty.tsv"), {}); });
  EXPECT_NE(msg.find(fixture("empty.tsv")), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  msg = error_of([] { load_text_file(fixture("header_only.tsv"), {}); });
  EXPECT_NE(msg.find("no examples"), std::string::npos) << msg;
  msg = error_of([] { load_text_file(fixture("nope.tsv"), {}); });
  EXPECT_NE(msg.find(fixture("nope.tsv")), std::string::npos) << msg;
  TempDir dir;
  std::string p = dir.write("scalar.jsonl", "[1, 2]\n");
  msg = error_of([&] { load_text_file(p, {}); });
  EXPECT_NE(msg.find(p + ":1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("one object per line"), std::string::npos) << msg;
}

}  // namespace
}  // namespace lowbit
