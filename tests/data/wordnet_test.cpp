// WordNet tasks on the installed wordnet-base files (skipped when absent): counts, classes, the
// 80/10/10 split against the documented rule; crafted files; errors that say what to do.
#include "lowbit/data/wordnet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "data/test_files.h"

namespace lowbit {
namespace {

using testing::error_of;
using testing::TempDir;

const std::string kDir = "/usr/share/wordnet";

bool installed() {
  return std::filesystem::exists(kDir + "/data.noun");
}

#define SKIP_WITHOUT_WORDNET() \
  if (!installed()) GTEST_SKIP() << "wordnet-base not installed (apt-get install wordnet-base)"

TEST(WordNet, SupersenseCountsAndSplits) {
  SKIP_WITHOUT_WORDNET();
  TextDataset train = load_wordnet("wordnet-supersense", "train", kDir);
  TextDataset val = load_wordnet("wordnet-supersense", "validation", kDir);
  TextDataset test = load_wordnet("wordnet-supersense", "test", kDir);
  size_t total = train.examples.size() + val.examples.size() + test.examples.size();
  EXPECT_EQ(total, 117659u);  // DATA.md: 82,115 + 13,767 + 18,156 + 3,621
  EXPECT_NEAR(train.examples.size() / double(total), 0.8, 0.01);
  EXPECT_NEAR(val.examples.size() / double(total), 0.1, 0.01);
  EXPECT_NEAR(test.examples.size() / double(total), 0.1, 0.01);
  ASSERT_EQ(train.label_names.size(), 45u);
  EXPECT_EQ(train.label_names[0], "adj.all");
  EXPECT_EQ(train.label_names[3], "noun.Tops");
  EXPECT_EQ(train.label_names[6], "noun.artifact");
  EXPECT_EQ(train.label_names[43], "verb.weather");
  EXPECT_EQ(train.label_names[44], "adj.ppl");
  std::map<int32_t, int64_t> per_class;
  for (const TextExample& e : train.examples) {
    ASSERT_GE(e.label, 0);
    ASSERT_LT(e.label, 45);
    EXPECT_FALSE(e.a.empty());
    EXPECT_TRUE(e.b.empty());
    EXPECT_EQ(e.a, e.a.substr(e.a.find_first_not_of(' ')));  // trimmed
    ++per_class[e.label];
  }
  EXPECT_EQ(per_class.size(), 45u);  // every supersense has training examples
  // Largest classes over all synsets: adj.all 14,435, noun.artifact 11,587, noun.person 11,087,
  // noun.plant 8,030 (DATA.md names the three noun ones).
  std::vector<std::pair<int64_t, int32_t>> by_size;
  for (auto [label, n] : per_class) by_size.push_back({n, label});
  std::sort(by_size.rbegin(), by_size.rend());
  std::vector<std::string> top4;
  for (int i = 0; i < 4; ++i) top4.push_back(train.label_names[by_size[i].second]);
  EXPECT_EQ(top4,
            (std::vector<std::string>{"adj.all", "noun.artifact", "noun.person", "noun.plant"}));
  // File order: the first example is the first noun synset, 'entity'.
  EXPECT_EQ(train.examples[0].label, 3);  // noun.Tops
  EXPECT_EQ(train.examples[0].a.rfind("that which is perceived", 0), 0u) << train.examples[0].a;
}

TEST(WordNet, PosClassesAndSplitAgreesAcrossTasks) {
  SKIP_WITHOUT_WORDNET();
  std::map<int32_t, int64_t> per_class;
  size_t total = 0;
  for (const char* split : {"train", "validation", "test"}) {
    TextDataset pos = load_wordnet("wordnet-pos", split, kDir);
    TextDataset sup = load_wordnet("wordnet-supersense", split, kDir);
    EXPECT_EQ(pos.label_names, (std::vector<std::string>{"noun", "verb", "adj", "adv"}));
    ASSERT_EQ(pos.examples.size(), sup.examples.size()) << split;
    for (size_t i = 0; i < pos.examples.size(); ++i) {
      ASSERT_EQ(pos.examples[i].a, sup.examples[i].a);  // the same synsets in the same order
      ++per_class[pos.examples[i].label];
    }
    total += pos.examples.size();
  }
  EXPECT_EQ(total, 117659u);
  EXPECT_EQ(per_class[0], 82115);
  EXPECT_EQ(per_class[1], 13767);
  EXPECT_EQ(per_class[2], 18156);  // head and satellite adjectives together
  EXPECT_EQ(per_class[3], 3621);
}

// The split rule re-implemented from wordnet.h's comment, independently of wordnet.cpp.
int documented_bucket(char p, uint64_t offset) {
  uint64_t x = (uint64_t(uint8_t(p)) << 32) | offset;
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return int((x ^ (x >> 31)) % 10);
}

TEST(WordNet, SplitsFollowTheDocumentedRule) {
  SKIP_WITHOUT_WORDNET();
  // Read the files here, independently: every synset line, its gloss and its documented bucket.
  std::vector<std::pair<std::string, int>> lines;  // gloss, bucket, in file order
  for (auto [file, p] :
       {std::pair{"data.noun", 'n'}, {"data.verb", 'v'}, {"data.adj", 'a'}, {"data.adv", 'r'}}) {
    std::ifstream in(kDir + "/" + file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("  ", 0) == 0) continue;
      std::string gloss = line.substr(line.find('|') + 1);
      gloss = gloss.substr(gloss.find_first_not_of(' '));
      gloss = gloss.substr(0, gloss.find_last_not_of(' ') + 1);
      lines.push_back({gloss, documented_bucket(p, std::stoull(line.substr(0, 8)))});
    }
  }
  ASSERT_EQ(lines.size(), 117659u);
  // Each split is exactly the lines of its buckets, in file order: so every synset is in exactly
  // one split, and its split depends on nothing but (p, offset).
  for (auto [split, lo, hi] : {std::tuple{"train", 0, 7}, {"validation", 8, 8}, {"test", 9, 9}}) {
    std::vector<std::string> want;
    for (auto& [gloss, b] : lines)
      if (b >= lo && b <= hi) want.push_back(gloss);
    std::vector<std::string> got;
    for (const TextExample& e : load_wordnet("wordnet-pos", split, kDir).examples)
      got.push_back(e.a);
    EXPECT_EQ(got, want) << split;
  }
}

TEST(WordNet, BucketIsPinned) {
  // Values of the documented rule (computed in Python); a change would reshuffle published splits.
  EXPECT_EQ(wordnet_bucket('n', 1740), 0);
  EXPECT_EQ(wordnet_bucket('n', 1930), 5);
  EXPECT_EQ(wordnet_bucket('v', 1740), 4);
  EXPECT_EQ(wordnet_bucket('a', 1740), 9);
  EXPECT_EQ(wordnet_bucket('r', 1740), 6);
  EXPECT_EQ(wordnet_bucket('n', 15300051), 3);
  for (uint32_t off = 0; off < 5000; off += 7)
    EXPECT_EQ(wordnet_bucket('v', off), documented_bucket('v', off));
}

TEST(WordNet, CraftedFilesLabelsAndSplits) {
  // A crafted folder: licence lines skipped, unique glosses each in one split, labels from
  // lex_filenum and the file, satellites as adj, glosses trimmed.
  TempDir dir;
  std::string noun, verb;
  for (int k = 0; k < 200; ++k) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%08d 05 n 01 thing%d 0 000 | gloss %d  \n", 1000 + k * 37, k,
                  k);
    noun += buf;
    std::snprintf(buf, sizeof buf, "%08d 38 v 01 move%d 0 000 | verb gloss %d\n", 2000 + k * 41, k,
                  k);
    verb += buf;
  }
  dir.write("data.noun", "  1 licence header line  \n  2 another one\n" + noun);
  dir.write("data.verb", verb);
  dir.write("data.adj",
            "00001740 00 a 01 able 0 000 | (usually followed by `to') having the necessary means\n"
            "00001841 00 s 01 unable 0 000 | not able\n");
  dir.write("data.adv", "00001740 02 r 01 a_cappella 0 000 | without musical accompaniment  \n");
  std::map<std::string, std::string> where;
  size_t total = 0;
  for (const char* split : {"train", "validation", "test"}) {
    TextDataset d = load_wordnet("wordnet-supersense", split, dir.path());
    total += d.examples.size();
    for (const TextExample& e : d.examples) {
      EXPECT_TRUE(where.emplace(e.a, split).second) << e.a << " in two splits";
    }
  }
  EXPECT_EQ(total, 403u);  // 200 noun + 200 verb + 2 adj + 1 adv
  // Trimmed gloss, satellite counted as adj, supersense labels taken from lex_filenum.
  std::map<std::string, int32_t> pos, sup;
  for (const char* split : {"train", "validation", "test"}) {
    for (const TextExample& e : load_wordnet("wordnet-pos", split, dir.path()).examples)
      pos[e.a] = e.label;
    for (const TextExample& e : load_wordnet("wordnet-supersense", split, dir.path()).examples)
      sup[e.a] = e.label;
  }
  EXPECT_EQ(pos.at("not able"), 2);
  EXPECT_EQ(pos.at("without musical accompaniment"), 3);
  EXPECT_EQ(pos.at("gloss 7"), 0);
  EXPECT_EQ(pos.at("verb gloss 7"), 1);
  EXPECT_EQ(sup.at("gloss 7"), 5);
  EXPECT_EQ(sup.at("verb gloss 7"), 38);
  EXPECT_EQ(sup.at("without musical accompaniment"), 2);
  EXPECT_TRUE(where.count("without musical accompaniment"));
  // A synset's split is its bucket's.
  int b = wordnet_bucket('r', 1740);
  EXPECT_EQ(where["without musical accompaniment"], b < 8    ? "train"
                                                    : b == 8 ? "validation"
                                                             : "test");
}

TEST(WordNet, ErrorsSayWhatToDo) {
  std::string msg =
      error_of([] { load_wordnet("wordnet-supersense", "train", "/nonexistent/wn"); });
  EXPECT_NE(msg.find("/nonexistent/wn/data.noun"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wordnet-base"), std::string::npos) << msg;
  msg = error_of([] { load_wordnet("wordnet-colour", "train", kDir); });
  EXPECT_NE(msg.find("wordnet-supersense, wordnet-pos"), std::string::npos) << msg;
  msg = error_of([] { load_wordnet("wordnet-pos", "dev", kDir); });
  EXPECT_NE(msg.find("train, validation, test"), std::string::npos) << msg;

  TempDir dir;
  dir.write("data.noun", "00001740 03 n 01 entity 0 000 | fine\nthis line is broken\n");
  msg = error_of([&] { load_wordnet("wordnet-pos", "train", dir.path()); });
  EXPECT_NE(msg.find(dir.path() + "/data.noun:2"), std::string::npos) << msg;
  dir.write("data.noun", "00001740 57 n 01 entity 0 000 | bad lexicographer file\n");
  msg = error_of([&] { load_wordnet("wordnet-pos", "train", dir.path()); });
  EXPECT_NE(msg.find("data.noun:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("57"), std::string::npos) << msg;
}

}  // namespace
}  // namespace lowbit
