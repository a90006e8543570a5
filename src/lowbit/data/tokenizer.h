// BERT WordPiece tokenizer (uncased), token for token what Hugging Face's BertTokenizer with
// do_lower_case=True gives, so pretrained checkpoints such as all-MiniLM-L6-v2 see the ids they
// know.
//
// Pipeline (transformers' BasicTokenizer + WordpieceTokenizer):
//   UTF-8 decode (an invalid byte becomes U+FFFD) -> clean (drop NUL, U+FFFD and control/format
//   characters; tab, newline and Unicode spaces become ' ') -> spaces around CJK ideographs ->
//   split on whitespace -> per word: lowercase, canonical decomposition, drop combining marks (Mn)
//   -> split off punctuation (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*) -> greedy
//   longest-match-first WordPiece with "##" continuations; a word over 100 code points, or one
//   with a part no piece matches, becomes [UNK].
//
// Unicode coverage (small tables in tokenizer.cpp; each code point below, in a word, was compared
// with transformers 4.57's BertTokenizer on Python's unicodedata 14.0: all agree):
//   lowercase + accent stripping: U+00C0-024F (Latin-1, Extended-A/B), U+0370-03FF (Greek;
//   capital sigma is always σ, never final ς: HF lowercases one character at a time),
//   U+0400-052F (Cyrillic), U+1E00-1FFF (Latin Extended Additional, Greek Extended), Armenian
//   capitals, fullwidth A-Z, Roman numerals, circled letters, the Ohm/Kelvin/Angstrom signs,
//   Hangul syllables (decomposed to jamo), kana with (semi-)voiced marks;
//   spaces (Zs), control and format characters (Cc, Cf, Co, noncharacters, and the unassigned
//   points of the blocks above); punctuation of Latin-1, Greek, Armenian, Hebrew, Arabic,
//   General/Supplemental Punctuation, CJK symbols, kana, small and fullwidth forms; combining
//   marks of the combining-diacritics blocks, Cyrillic, Hebrew, Arabic and CJK.
// Not covered (differs from HF only on such text): case pairs of other scripts (Georgian,
// Cherokee, Glagolitic, Coptic, Latin Extended-C/D, ...), combining marks of Indic and
// South-East Asian scripts (kept; HF drops them), punctuation of those scripts and of math
// brackets (U+27E6.., U+2983..: not split), decompositions elsewhere (Arabic U+0622 -> U+0627,
// Devanagari nukta letters, U+2260 ≠ -> '='), unassigned
// code points outside the blocks above (kept; HF drops them), CJK compatibility ideographs (not
// NFC-mapped), and HF's no-split special tokens: a literal "[CLS]" in the text is plain text here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lowbit {

class Tokenizer {
 public:
  // BERT vocab.txt: one token per line, id = 0-based line number. Needs [PAD], [UNK], [CLS], [SEP].
  static Tokenizer from_vocab_file(const std::string& path);

  int64_t vocab_size() const { return static_cast<int64_t>(tokens_.size()); }

  // Fills exactly max_len slots of ids/segments/mask: [CLS] a [SEP] (b [SEP] when b is not
  // empty), then [PAD]. Segments are 0 through the first [SEP], 1 for b and its [SEP], 0 for
  // padding; mask is 1 on real tokens. Too long: tokens are dropped from the end of the longer
  // of a/b (b on a tie), as Hugging Face's truncation="longest_first". Thread-safe.
  void encode(const std::string& a, const std::string& b, int64_t max_len, int32_t* ids,
              int32_t* segments, uint8_t* mask) const;

  // Word-piece ids of text, without [CLS]/[SEP].
  std::vector<int32_t> tokenize(const std::string& text) const;

  // The words handed to WordPiece (cleaned, lowercased, accents stripped, punctuation split):
  // HF's BasicTokenizer.tokenize. Needs no vocabulary; used by tests and for debugging.
  static std::vector<std::string> basic_tokens(const std::string& text);

  // -1 when the token is not in the vocabulary.
  int32_t token_id(std::string_view token) const;
  const std::string& token(int32_t id) const { return tokens_.at(id); }
  int32_t pad_id() const { return pad_; }
  int32_t unk_id() const { return unk_; }
  int32_t cls_id() const { return cls_; }
  int32_t sep_id() const { return sep_; }

 private:
  // Heterogeneous lookup: WordPiece probes substrings without building a std::string each time.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void wordpiece(const std::string& word, std::string& scratch, std::vector<int32_t>& out) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
  int32_t pad_ = -1, unk_ = -1, cls_ = -1, sep_ = -1;
};

}  // namespace lowbit
