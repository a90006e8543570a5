// Our tokenizer against Hugging Face's BertTokenizer on the MiniLM vocabulary: 100 WordNet glosses
// and tricky strings (words and ids), and pair encodings with longest_first truncation. The
// fixture and the script that made it:
// tests/data/{tokenizer_fixture.jsonl,make_tokenizer_fixture.py}.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/data/pretrained_paths.h"
#include "lowbit/data/tokenizer.h"

namespace lowbit {
namespace {

TEST(TokenizerFixture, MatchesHuggingFace) {
  std::string vocab;
  try {
    vocab = find_default_vocab();
  } catch (const Error& e) {
    GTEST_SKIP() << "MiniLM vocab.txt not installed (run scripts/fetch_pretrained.sh): "
                 << e.what();
  }
  Tokenizer tok = Tokenizer::from_vocab_file(vocab);
  ASSERT_EQ(tok.vocab_size(), 30522);
  std::ifstream in(std::string(LOWBIT_TEST_DATA) + "/tokenizer_fixture.jsonl");
  ASSERT_TRUE(in)
      << "missing tests/data/tokenizer_fixture.jsonl (make_tokenizer_fixture.py writes it)";
  std::string line;
  int texts = 0, pairs = 0, lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    nlohmann::json j = nlohmann::json::parse(line);
    if (j.contains("text")) {
      std::string text = j["text"];
      EXPECT_EQ(Tokenizer::basic_tokens(text), j["tokens"].get<std::vector<std::string>>())
          << "line " << lineno << ": " << text;
      EXPECT_EQ(tok.tokenize(text), j["ids"].get<std::vector<int32_t>>())
          << "line " << lineno << ": " << text;
      ++texts;
    } else {
      int64_t n = j["max_length"];
      std::vector<int32_t> ids(n), segments(n);
      std::vector<uint8_t> mask(n);
      tok.encode(j["a"], j["b"], n, ids.data(), segments.data(), mask.data());
      EXPECT_EQ(ids, j["ids"].get<std::vector<int32_t>>()) << "line " << lineno;
      EXPECT_EQ(segments, j["segments"].get<std::vector<int32_t>>()) << "line " << lineno;
      EXPECT_EQ(mask, j["mask"].get<std::vector<uint8_t>>()) << "line " << lineno;
      ++pairs;
    }
  }
  EXPECT_GE(texts, 100);
  EXPECT_GE(pairs, 10);
}

}  // namespace
}  // namespace lowbit
