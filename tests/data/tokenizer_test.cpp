// Tokenizer on hand-checked cases with a 26-token vocabulary (tests/data/tiny_vocab.txt): text
// clean-up, accents, punctuation, WordPiece pieces, [UNK], pairs, truncation, padding, errors.
#include "lowbit/data/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/test_files.h"
#include "lowbit/core/parallel.h"

namespace lowbit {
namespace {

using testing::error_of;
using testing::TempDir;
using Ids = std::vector<int32_t>;

// Ids of tiny_vocab.txt (0-based line numbers).
enum : int32_t {
  PAD,
  UNK,
  CLS,
  SEP,
  MASK,
  THE,
  CAFE,
  UN,
  AFF,
  ABLE,
  ING,
  PLAY,
  COMMA,
  DOT,
  BANG,
  QUOTE,
  A,
  B,
  BB,
  HELLO,
  WORLD,
  DON,
  T,
  ZHONG,
  WEN,
  NAIVE
};

Tokenizer tiny() {
  return Tokenizer::from_vocab_file(std::string(LOWBIT_TEST_DATA) + "/tiny_vocab.txt");
}

using Words = std::vector<std::string>;

TEST(Tokenizer, LoadsVocabulary) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.vocab_size(), 26);
  EXPECT_EQ(t.pad_id(), PAD);
  EXPECT_EQ(t.unk_id(), UNK);
  EXPECT_EQ(t.cls_id(), CLS);
  EXPECT_EQ(t.sep_id(), SEP);
  EXPECT_EQ(t.token_id("##able"), ABLE);
  EXPECT_EQ(t.token_id("nope"), -1);
  EXPECT_EQ(t.token(NAIVE), "naive");
}

TEST(Tokenizer, BasicWordsFollowBertRules) {
  EXPECT_EQ(Tokenizer::basic_tokens("Hello, World!"), (Words{"hello", ",", "world", "!"}));
  EXPECT_EQ(Tokenizer::basic_tokens("Café naïve ÅNGSTRÖM"), (Words{"cafe", "naive", "angstrom"}));
  EXPECT_EQ(Tokenizer::basic_tokens("don't"), (Words{"don", "'", "t"}));
  // ASCII symbols count as punctuation; non-ASCII symbols (°, €) do not.
  EXPECT_EQ(Tokenizer::basic_tokens("a$b^c`d~e 5°C €3"),
            (Words{"a", "$", "b", "^", "c", "`", "d", "~", "e", "5°c", "€3"}));
  EXPECT_EQ(Tokenizer::basic_tokens("\u201cquoted\u201d \u2014 dash"),
            (Words{"\u201c", "quoted", "\u201d", "\u2014", "dash"}));
  // Whitespace of any kind splits; control and zero-width characters vanish.
  EXPECT_EQ(Tokenizer::basic_tokens("a\tb\nc\u00a0d\u3000e zero\u200bwidth\x01x"),
            (Words{"a", "b", "c", "d", "e", "zerowidthx"}));
  // CJK ideographs become words of their own; Hangul decomposes to jamo.
  EXPECT_EQ(Tokenizer::basic_tokens("ab中文cd"), (Words{"ab", "中", "文", "cd"}));
  EXPECT_EQ(Tokenizer::basic_tokens("한"), (Words{"\u1112\u1161\u11ab"}));
  // Greek: accents go; capital sigma becomes σ even at the end of a word (HF lowercases one
  // character at a time, so Python's final-sigma rule never applies), while a written ς stays.
  EXPECT_EQ(Tokenizer::basic_tokens("ΟΔΟΣ Σοφία σοφός"), (Words{"οδοσ", "σοφια", "σοφος"}));
  EXPECT_EQ(Tokenizer::basic_tokens("Йогурт Ёж"), (Words{"иогурт", "еж"}));
  EXPECT_TRUE(Tokenizer::basic_tokens("").empty());
  EXPECT_TRUE(Tokenizer::basic_tokens(" \t\n ").empty());
}

TEST(Tokenizer, InvalidUtf8IsDroppedWithoutEatingNeighbours) {
  // A stray continuation byte, an invalid lead byte, a truncated sequence, an overlong '/',
  // a surrogate: each disappears, the ASCII around it survives.
  EXPECT_EQ(Tokenizer::basic_tokens("he\x80llo"), (Words{"hello"}));
  EXPECT_EQ(Tokenizer::basic_tokens("he\xFFllo"), (Words{"hello"}));
  EXPECT_EQ(Tokenizer::basic_tokens("ab\xE2\x82 cd"), (Words{"ab", "cd"}));
  EXPECT_EQ(Tokenizer::basic_tokens("ab\xE2\x82z"), (Words{"abz"}));
  EXPECT_EQ(Tokenizer::basic_tokens("a\xC0\xAF"
                                    "b"),
            (Words{"ab"}));
  EXPECT_EQ(Tokenizer::basic_tokens("a\xED\xA0\x80"
                                    "b"),
            (Words{"ab"}));
  EXPECT_EQ(Tokenizer::basic_tokens("caf\xC3"), (Words{"caf"}));
  EXPECT_EQ(Tokenizer::basic_tokens("caf\xC3\xA9"), (Words{"cafe"}));
}

TEST(Tokenizer, WordPiecePiecesAndUnknowns) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.tokenize("unaffable"), (Ids{UN, AFF, ABLE}));
  EXPECT_EQ(t.tokenize("Playing"), (Ids{PLAY, ING}));
  EXPECT_EQ(t.tokenize("Café, hello!"), (Ids{CAFE, COMMA, HELLO, BANG}));
  EXPECT_EQ(t.tokenize("NAÏVE"), (Ids{NAIVE}));
  EXPECT_EQ(t.tokenize("xyz"), (Ids{UNK}));
  // One unmatched part makes the whole word [UNK], not a partial match.
  EXPECT_EQ(t.tokenize("unaffablex the"), (Ids{UNK, THE}));
  EXPECT_EQ(t.tokenize("中文"), (Ids{ZHONG, WEN}));
  // 100 code points is still a word; 101 is [UNK] however well it would split.
  Ids hundred(100, BB);
  hundred[0] = B;
  EXPECT_EQ(t.tokenize(std::string(100, 'b')), hundred);
  EXPECT_EQ(t.tokenize(std::string(101, 'b')), (Ids{UNK}));
  EXPECT_TRUE(t.tokenize("").empty());
}

struct Encoded {
  Ids ids, segments;
  std::vector<uint8_t> mask;
};

Encoded enc(const Tokenizer& t, const std::string& a, const std::string& b, int64_t n) {
  Encoded e{Ids(n, -7), Ids(n, -7), std::vector<uint8_t>(n, 7)};
  t.encode(a, b, n, e.ids.data(), e.segments.data(), e.mask.data());
  return e;
}

TEST(Tokenizer, EncodeSingleWithPadding) {
  Encoded e = enc(tiny(), "the cafe", "", 6);
  EXPECT_EQ(e.ids, (Ids{CLS, THE, CAFE, SEP, PAD, PAD}));
  EXPECT_EQ(e.segments, (Ids{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(e.mask, (std::vector<uint8_t>{1, 1, 1, 1, 0, 0}));
}

TEST(Tokenizer, EncodePairSegments) {
  Encoded e = enc(tiny(), "hello", "the world", 7);
  EXPECT_EQ(e.ids, (Ids{CLS, HELLO, SEP, THE, WORLD, SEP, PAD}));
  EXPECT_EQ(e.segments, (Ids{0, 0, 0, 1, 1, 1, 0}));
  EXPECT_EQ(e.mask, (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 0}));
}

TEST(Tokenizer, TruncatesLongestFirst) {
  Tokenizer t = tiny();
  // Single text: cut from the end.
  EXPECT_EQ(enc(t, "a b a b a b", "", 4).ids, (Ids{CLS, A, B, SEP}));
  // a has 6 pieces, b 2, room for 5: all 3 cuts come off the longer a.
  EXPECT_EQ(enc(t, "a b a b a b", "the cafe", 8).ids, (Ids{CLS, A, B, A, SEP, THE, CAFE, SEP}));
  // Equal lengths: the odd token comes off b (HF: ties cut the pair first).
  EXPECT_EQ(enc(t, "a b a", "the cafe the", 6).ids, (Ids{CLS, A, B, SEP, THE, SEP}));
  EXPECT_EQ(enc(t, "a b a", "the cafe the", 7).ids, (Ids{CLS, A, B, SEP, THE, CAFE, SEP}));
  // The shorter side keeps everything while the longer one still has more.
  Encoded e = enc(t, "the", "a b a b a b", 7);
  EXPECT_EQ(e.ids, (Ids{CLS, THE, SEP, A, B, A, SEP}));
  EXPECT_EQ(e.segments, (Ids{0, 0, 0, 1, 1, 1, 1}));
  // Room for the special tokens only.
  EXPECT_EQ(enc(t, "the", "cafe", 3).ids, (Ids{CLS, SEP, SEP}));
}

TEST(Tokenizer, EncodeRejectsTooShortLength) {
  Tokenizer t = tiny();
  std::string msg = error_of([&] { enc(t, "a", "b", 2); });
  EXPECT_NE(msg.find("max length 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("data.max_length"), std::string::npos) << msg;
}

TEST(Tokenizer, ThreadSafeUnderParallelFor) {
  Tokenizer t = tiny();
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i)
    texts.push_back(std::string(i % 7 + 1, 'b') + (i % 3 ? " unaffable, the" : " Café!"));
  std::vector<Ids> serial, parallel(texts.size());
  for (const auto& s : texts) serial.push_back(t.tokenize(s));
  parallel_for(static_cast<int64_t>(texts.size()), 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) parallel[i] = t.tokenize(texts[i]);
  });
  EXPECT_EQ(serial, parallel);
}

TEST(Tokenizer, VocabularyErrorsNameTheFile) {
  TempDir dir;
  std::string missing = dir.path() + "/nope.txt";
  std::string msg = error_of([&] { Tokenizer::from_vocab_file(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("fetch_pretrained.sh"), std::string::npos) << msg;

  std::string empty = dir.write("empty.txt", "");
  msg = error_of([&] { Tokenizer::from_vocab_file(empty); });
  EXPECT_NE(msg.find(empty), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;

  std::string no_sep = dir.write("nosep.txt", "[PAD]\n[UNK]\n[CLS]\nhello\n");
  msg = error_of([&] { Tokenizer::from_vocab_file(no_sep); });
  EXPECT_NE(msg.find(no_sep), std::string::npos) << msg;
  EXPECT_NE(msg.find("no [SEP]"), std::string::npos) << msg;

  // CRLF line ends and a last line without '\n' still give one token per line.
  Tokenizer crlf =
      Tokenizer::from_vocab_file(dir.write("crlf.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]"));
  EXPECT_EQ(crlf.vocab_size(), 4);
  EXPECT_EQ(crlf.sep_id(), 3);
}

}  // namespace
}  // namespace lowbit
