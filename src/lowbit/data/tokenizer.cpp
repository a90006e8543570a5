// WordPiece tokenizer: the Unicode clean-up, lowercasing and accent stripping of BERT's
// BasicTokenizer from small tables, then greedy longest-match WordPiece over the vocabulary.
#include "lowbit/data/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

// Lowercase + NFD + drop Mn of each code point of four blocks, one output per input, as Python's
// unicodedata 14.0 gives (every result there is a single code point). Capital sigma is always
// small sigma: HF's tokenize() lowercases one character at a time, so Python's final-sigma rule
// never applies. kDrop marks points that
// vanish: unassigned (HF drops category Cn as "control") or combining marks.
constexpr char32_t kDrop = 0xFFFF;
// U+00C0..U+024F
constexpr char32_t kFoldLatin[] =
    U"aaaaaaæceeeeiiiiðnooooo×øuuuuyþß"
    U"aaaaaaæceeeeiiiiðnooooo÷øuuuuyþy"
    U"aaaaaaccccccccddđđeeeeeeeeeegggg"
    U"gggghhħħiiiiiiiiiıĳĳjjkkĸllllllŀ"
    U"ŀłłnnnnnnŉŋŋooooooœœrrrrrrssssss"
    U"ssttttŧŧuuuuuuuuuuuuwwyyyzzzzzzſ"
    U"ƀɓƃƃƅƅɔƈƈɖɗƌƌƍǝəɛƒƒɠɣƕɩɨƙƙƚƛɯɲƞɵ"
    U"ooƣƣƥƥʀƨƨʃƪƫƭƭʈuuʊʋƴƴƶƶʒƹƹƺƻƽƽƾƿ"
    U"ǀǁǂǃǆǆǆǉǉǉǌǌǌaaiioouuuuuuuuuuǝaa"
    U"aaææǥǥggkkooooʒʒjǳǳǳggƕƿnnaaææøø"
    U"aaaaeeeeiiiioooorrrruuuussttȝȝhh"
    U"ƞȡȣȣȥȥaaeeooooooooyyȴȵȶȷȸȹⱥȼȼƚⱦȿ"
    U"ɀɂɂƀʉʌɇɇɉɉɋɋɍɍɏɏ";
// U+0370..U+03FF
constexpr char32_t kFoldGreek[] =
    U"ͱͱͳͳʹ͵ͷͷ\uFFFF\uFFFFͺͻͼͽ;ϳ\uFFFF\uFFFF\uFFFF\uFFFF΄¨α·εηι\uFFFFο\uFFFFυω"
    U"ιαβγδεζηθικλμνξοπρ\uFFFFστυφχψωιυαεηι"
    U"υαβγδεζηθικλμνξοπρςστυφχψωιυουωϗ"
    U"ϐϑϒϒϒϕϖϗϙϙϛϛϝϝϟϟϡϡϣϣϥϥϧϧϩϩϫϫϭϭϯϯ"
    U"ϰϱϲϳθϵ϶ϸϸϲϻϻϼͻͼͽ";
// U+0400..U+052F
constexpr char32_t kFoldCyrillic[] =
    U"ееђгєѕііјљњћкиуџабвгдежзииклмноп"
    U"рстуфхцчшщъыьэюяабвгдежзииклмноп"
    U"рстуфхцчшщъыьэюяееђгєѕііјљњћкиуџ"
    U"ѡѡѣѣѥѥѧѧѩѩѫѫѭѭѯѯѱѱѳѳѵѵѵѵѹѹѻѻѽѽѿѿ"
    U"ҁҁ҂\uFFFF\uFFFF\uFFFF\uFFFF\uFFFF\u0488\u0489ҋҋҍҍҏҏґґғғҕҕҗҗҙҙққҝҝҟҟ"
    U"ҡҡңңҥҥҧҧҩҩҫҫҭҭүүұұҳҳҵҵҷҷҹҹһһҽҽҿҿ"
    U"ӏжжӄӄӆӆӈӈӊӊӌӌӎӎӏааааӕӕееәәәәжжзз"
    U"ӡӡииииооөөөөээууууууччӷӷыыӻӻӽӽӿӿ"
    U"ԁԁԃԃԅԅԇԇԉԉԋԋԍԍԏԏԑԑԓԓԕԕԗԗԙԙԛԛԝԝԟԟ"
    U"ԡԡԣԣԥԥԧԧԩԩԫԫԭԭԯԯ";
// U+1E00..U+1FFF
constexpr char32_t kFoldLatinGreekExt[] =
    U"aabbbbbbccddddddddddeeeeeeeeeeff"
    U"gghhhhhhhhhhiiiikkkkkkllllllllmm"
    U"mmmmnnnnnnnnoooooooopppprrrrrrrr"
    U"ssssssssssttttttttuuuuuuuuuuvvvv"
    U"wwwwwwwwwwxxxxyyzzzzzzhtwyẚſẜẝßẟ"
    U"aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"
    U"eeeeeeeeiiiioooooooooooooooooooo"
    U"oooouuuuuuuuuuuuuuyyyyyyyyỻỻỽỽỿỿ"
    U"ααααααααααααααααεεεεεε\uFFFF\uFFFFεεεεεε\uFFFF\uFFFF"
    U"ηηηηηηηηηηηηηηηηιιιιιιιιιιιιιιιι"
    U"οοοοοο\uFFFF\uFFFFοοοοοο\uFFFF\uFFFFυυυυυυυυ\uFFFFυ\uFFFFυ\uFFFFυ\uFFFFυ"
    U"ωωωωωωωωωωωωωωωωααεεηηιιοουυωω\uFFFF\uFFFF"
    U"ααααααααααααααααηηηηηηηηηηηηηηηη"
    U"ωωωωωωωωωωωωωωωωααααα\uFFFFααααααα᾽ι᾿"
    U"῀¨ηηη\uFFFFηηεεηηη᾿᾿᾿ιιιι\uFFFF\uFFFFιιιιιι\uFFFF῾῾῾"
    U"υυυυρρυυυυυυρ¨¨`\uFFFF\uFFFFωωω\uFFFFωωοοωωω´῾\uFFFF";

struct FoldBlock {
  char32_t first;
  const char32_t* map;
  size_t size;
};
constexpr FoldBlock kFoldBlocks[] = {
    {0x00C0, kFoldLatin, std::size(kFoldLatin) - 1},
    {0x0370, kFoldGreek, std::size(kFoldGreek) - 1},
    {0x0400, kFoldCyrillic, std::size(kFoldCyrillic) - 1},
    {0x1E00, kFoldLatinGreekExt, std::size(kFoldLatinGreekExt) - 1},
};
static_assert(std::size(kFoldLatin) - 1 == 0x250 - 0xC0);
static_assert(std::size(kFoldGreek) - 1 == 0x400 - 0x370);
static_assert(std::size(kFoldCyrillic) - 1 == 0x530 - 0x400);
static_assert(std::size(kFoldLatinGreekExt) - 1 == 0x2000 - 0x1E00);

struct Range {
  char32_t lo, hi;
};

// Unicode category P* outside ASCII, in the blocks listed in tokenizer.h (sorted).
constexpr Range kPunctuation[] = {
    {0x00A1, 0x00A1}, {0x00A7, 0x00A7}, {0x00AB, 0x00AB}, {0x00B6, 0x00B7}, {0x00BB, 0x00BB},
    {0x00BF, 0x00BF}, {0x037E, 0x037E}, {0x0387, 0x0387}, {0x055A, 0x055F}, {0x0589, 0x058A},
    {0x05BE, 0x05BE}, {0x05C0, 0x05C0}, {0x05C3, 0x05C3}, {0x05C6, 0x05C6}, {0x05F3, 0x05F4},
    {0x0609, 0x060A}, {0x060C, 0x060D}, {0x061B, 0x061B}, {0x061D, 0x061F}, {0x066A, 0x066D},
    {0x06D4, 0x06D4}, {0x2010, 0x2027}, {0x2030, 0x2043}, {0x2045, 0x2051}, {0x2053, 0x205E},
    {0x2E00, 0x2E2E}, {0x2E30, 0x2E4F}, {0x2E52, 0x2E5D}, {0x3001, 0x3003}, {0x3008, 0x3011},
    {0x3014, 0x301F}, {0x3030, 0x3030}, {0x303D, 0x303D}, {0x30A0, 0x30A0}, {0x30FB, 0x30FB},
    {0xFE10, 0xFE19}, {0xFE30, 0xFE52}, {0xFE54, 0xFE61}, {0xFE63, 0xFE63}, {0xFE68, 0xFE68},
    {0xFE6A, 0xFE6B}, {0xFF01, 0xFF03}, {0xFF05, 0xFF0A}, {0xFF0C, 0xFF0F}, {0xFF1A, 0xFF1B},
    {0xFF1F, 0xFF20}, {0xFF3B, 0xFF3D}, {0xFF3F, 0xFF3F}, {0xFF5B, 0xFF5B}, {0xFF5D, 0xFF5D},
    {0xFF5F, 0xFF65},
};

// Nonspacing marks (Mn) of the combining-diacritics blocks, Cyrillic, Hebrew, Arabic, CJK tone
// marks and the kana voicing marks: what accent stripping removes.
constexpr Range kMarks[] = {
    {0x0300, 0x036F}, {0x0483, 0x0487}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x1AB0, 0x1ABD},
    {0x1ABF, 0x1ACE}, {0x1DC0, 0x1DFF}, {0x20D0, 0x20DC}, {0x20E1, 0x20E1}, {0x20E5, 0x20F0},
    {0x302A, 0x302D}, {0x3099, 0x309A}, {0xFE20, 0xFE2F},
};

// Format characters (Cf), all of them; with Cc and private use these are HF's "control".
constexpr Range kFormat[] = {
    {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x206F},   {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x13438},
    {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
};

template <size_t N>
bool in_ranges(const Range (&table)[N], char32_t cp) {
  const Range* r =
      std::upper_bound(table, table + N, cp, [](char32_t c, const Range& x) { return c < x.lo; });
  return r != table && cp <= (r - 1)->hi;
}

// One code point from s at i (advancing i). Invalid or truncated sequences give U+FFFD and
// consume only the lead byte plus the continuation bytes that followed it, so a valid character
// after garbage is never swallowed.
char32_t utf8_next(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return ++i, c;
  int len = 0;
  char32_t cp = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return ++i, 0xFFFD;
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
      i += k;
      return 0xFFFD;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += len;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// HF's _is_whitespace (space, \t, \n, \r, Zs), plus the line/paragraph separators that
// Python's str.split() also splits on.
bool is_whitespace(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// HF's _is_control: category C* except \t \n \r. Unassigned points of the fold blocks are
// dropped by the fold tables instead; noncharacters are dropped here.
bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) return true;  // private use (Co)
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return true;
  return in_ranges(kFormat, cp);
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126))
    return true;
  return cp > 0x7F && in_ranges(kPunctuation, cp);
}

const FoldBlock* fold_block(char32_t cp) {
  for (const FoldBlock& b : kFoldBlocks)
    if (cp >= b.first && cp < b.first + b.size) return &b;
  return nullptr;
}

// Kana with a voiced (dakuten) or semi-voiced (handakuten) mark decompose to base + U+3099/309A;
// the mark is Mn and goes, leaving the base.
char32_t kana_base(char32_t cp) {
  char32_t off = cp >= 0x30A0 ? 0x60 : 0;  // katakana mirror hiragana 0x60 higher
  char32_t h = cp - off;
  if (h >= 0x304C && h <= 0x3062 && h % 2 == 0) return cp - 1;
  if (h == 0x3065 || h == 0x3067 || h == 0x3069) return cp - 1;
  if (h >= 0x3070 && h <= 0x307D && (h - 0x306F) % 3 != 0) return cp - (h - 0x306F) % 3;
  if (h == 0x3094) return 0x3046 + off;
  if (h == 0x309E) return 0x309D + off;
  if (cp >= 0x30F7 && cp <= 0x30FA) return cp - 8;
  return cp;
}

// Lowercase, canonically decompose and drop nonspacing marks: what HF's lower() +
// _run_strip_accents do to one code point. Appends 0 to 3 code points.
void fold(char32_t cp, std::u32string& out) {
  if (cp < 0x80) {
    out += (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return;
  }
  if (const FoldBlock* b = fold_block(cp)) {
    char32_t m = b->map[cp - b->first];
    if (m != kDrop) out += m;
    return;
  }
  if (in_ranges(kMarks, cp)) return;
  if (cp >= 0xAC00 && cp <= 0xD7A3) {  // Hangul syllable -> leading, vowel (, trailing) jamo
    char32_t s = cp - 0xAC00;
    out += 0x1100 + s / (21 * 28);
    out += 0x1161 + (s % (21 * 28)) / 28;
    if (s % 28) out += 0x11A7 + s % 28;
    return;
  }
  if (cp >= 0x3040 && cp <= 0x30FF)
    out += kana_base(cp);
  else if (cp >= 0x0531 && cp <= 0x0556)
    out += cp + 0x30;  // Armenian capitals
  else if (cp >= 0xFF21 && cp <= 0xFF3A)
    out += cp + 0x20;  // fullwidth A-Z
  else if (cp >= 0x2160 && cp <= 0x216F)
    out += cp + 0x10;  // Roman numerals
  else if (cp >= 0x24B6 && cp <= 0x24CF)
    out += cp + 26;  // circled A-Z
  else if (cp == 0x2126)
    out += 0x3C9;  // Ohm sign -> omega
  else if (cp == 0x212A)
    out += 'k';  // Kelvin sign
  else if (cp == 0x212B)
    out += 'a';  // Angstrom sign -> a-ring -> a
  else
    out += cp;
}

// BasicTokenizer: clean, space out CJK, split on whitespace, fold, split off punctuation.
std::vector<std::string> basic_split(std::string_view text) {
  std::u32string cps;
  cps.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp = utf8_next(text, i);
    if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
    if (is_whitespace(cp)) {
      cps += ' ';
    } else if (is_cjk(cp)) {
      cps += ' ';
      cps += cp;
      cps += ' ';
    } else {
      cps += cp;
    }
  }
  std::vector<std::string> words;
  std::u32string folded;
  std::string cur;
  for (size_t i = 0; i < cps.size();) {
    if (cps[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = cps.find(U' ', i);
    if (end == std::u32string::npos) end = cps.size();
    folded.clear();
    for (size_t k = i; k < end; ++k) fold(cps[k], folded);
    for (char32_t cp : folded) {
      if (is_punctuation(cp)) {
        if (!cur.empty()) words.push_back(std::move(cur));
        cur.clear();
        utf8_append(cur, cp);
        words.push_back(std::move(cur));
        cur.clear();
      } else {
        utf8_append(cur, cp);
      }
    }
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
    i = end;
  }
  return words;
}

constexpr size_t kMaxWordChars = 100;  // HF's max_input_chars_per_word

}  // namespace

Tokenizer Tokenizer::from_vocab_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LB_CHECK(in, "[tokenizer] cannot open vocabulary file ", path,
           ": give a BERT vocab.txt (model.vocab), or run scripts/fetch_pretrained.sh for the "
           "default one");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  LB_CHECK(!text.empty(), "[tokenizer] vocabulary file ", path,
           " is empty: a BERT vocab.txt has one token per line");
  Tokenizer t;
  // Like HF's load_vocab: every line is a token (the last may lack '\n'); a repeated token keeps
  // its last id. A trailing '\r' is dropped too, so a file saved with CRLF still works.
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string tok = text.substr(pos, end - pos);
    if (!tok.empty() && tok.back() == '\r') tok.pop_back();
    t.ids_[tok] = static_cast<int32_t>(t.tokens_.size());
    t.tokens_.push_back(std::move(tok));
    pos = end + 1;
  }
  std::string missing;
  auto need = [&](const char* name, int32_t& id) {
    id = t.token_id(name);
    if (id < 0) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  need("[PAD]", t.pad_);
  need("[UNK]", t.unk_);
  need("[CLS]", t.cls_);
  need("[SEP]", t.sep_);
  LB_CHECK(missing.empty(), "[tokenizer] vocabulary file ", path, " (", t.tokens_.size(),
           " lines) has no ", missing,
           " line: a BERT vocab.txt needs [PAD], [UNK], [CLS] and [SEP], one token per line");
  return t;
}

int32_t Tokenizer::token_id(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::string> Tokenizer::basic_tokens(const std::string& text) {
  return basic_split(text);
}

void Tokenizer::wordpiece(const std::string& word, std::string& scratch,
                          std::vector<int32_t>& out) const {
  std::vector<size_t> starts;  // byte offset of each code point, plus the end
  for (size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) starts.push_back(i);
  size_t n = starts.size();
  starts.push_back(word.size());
  if (n > kMaxWordChars) {
    out.push_back(unk_);
    return;
  }
  size_t first = out.size();
  for (size_t s = 0; s < n;) {
    int32_t id = -1;
    size_t e = n;
    for (; e > s; --e) {
      std::string_view piece(word.data() + starts[s], starts[e] - starts[s]);
      if (s == 0) {
        id = token_id(piece);
      } else {
        scratch.assign("##");
        scratch.append(piece);
        id = token_id(scratch);
      }
      if (id >= 0) break;
    }
    if (id < 0) {  // one unmatched part makes the whole word unknown
      out.resize(first);
      out.push_back(unk_);
      return;
    }
    out.push_back(id);
    s = e;
  }
}

std::vector<int32_t> Tokenizer::tokenize(const std::string& text) const {
  std::vector<int32_t> ids;
  std::string scratch;
  for (const std::string& w : basic_split(text)) wordpiece(w, scratch, ids);
  return ids;
}

void Tokenizer::encode(const std::string& a, const std::string& b, int64_t max_len, int32_t* ids,
                       int32_t* segments, uint8_t* mask) const {
  bool pair = !b.empty();
  int64_t specials = pair ? 3 : 2;
  LB_CHECK(max_len >= specials, "[tokenizer] max length ", max_len, " leaves no room for [CLS] ",
           pair ? "a [SEP] b [SEP]" : "text [SEP]", ": set data.max_length to ", specials,
           " or more");
  std::vector<int32_t> pa = tokenize(a), pb = pair ? tokenize(b) : std::vector<int32_t>{};
  int64_t la = static_cast<int64_t>(pa.size()), lb = static_cast<int64_t>(pb.size());
  int64_t remove = std::max<int64_t>(0, la + lb + specials - max_len);
  // transformers' truncate_sequences(longest_first) in closed form: first even out the longer
  // side, then take the rest half and half, the odd one from b.
  int64_t first = std::min(std::abs(la - lb), remove), second = remove - first;
  int64_t cut_a = la > lb ? first + second / 2 : second / 2;
  int64_t cut_b = remove - cut_a;
  la -= cut_a;
  lb -= cut_b;
  int64_t t = 0;
  auto put = [&](int32_t id, int32_t seg) {
    ids[t] = id;
    segments[t] = seg;
    mask[t] = 1;
    ++t;
  };
  put(cls_, 0);
  for (int64_t i = 0; i < la; ++i) put(pa[i], 0);
  put(sep_, 0);
  if (pair) {
    for (int64_t i = 0; i < lb; ++i) put(pb[i], 1);
    put(sep_, 1);
  }
  for (; t < max_len; ++t) {
    ids[t] = pad_;
    segments[t] = 0;
    mask[t] = 0;
  }
}

}  // namespace lowbit
