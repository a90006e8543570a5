// Reads the four WordNet data files into labelled glosses and keeps the synsets of one split;
// the split rule and the label sets are documented in wordnet.h.
#include "lowbit/data/wordnet.h"

#include <array>
#include <cstdlib>
#include <fstream>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

// `man 5 lexnames`, numbers 00..44.
const std::array<const char*, 45> kLexNames = {
    "adj.all",          "adj.pert",           "adv.all",
    "noun.Tops",        "noun.act",           "noun.animal",
    "noun.artifact",    "noun.attribute",     "noun.body",
    "noun.cognition",   "noun.communication", "noun.event",
    "noun.feeling",     "noun.food",          "noun.group",
    "noun.location",    "noun.motive",        "noun.object",
    "noun.person",      "noun.phenomenon",    "noun.plant",
    "noun.possession",  "noun.process",       "noun.quantity",
    "noun.relation",    "noun.shape",         "noun.state",
    "noun.substance",   "noun.time",          "verb.body",
    "verb.change",      "verb.cognition",     "verb.communication",
    "verb.competition", "verb.consumption",   "verb.contact",
    "verb.creation",    "verb.emotion",       "verb.motion",
    "verb.perception",  "verb.possession",    "verb.social",
    "verb.stative",     "verb.weather",       "adj.ppl",
};

struct DataFile {
  const char* name;
  char letter;  // the file's part of speech, the p of the split key
  int32_t pos;  // wordnet-pos label
};
constexpr DataFile kFiles[] = {
    {"data.noun", 'n', 0}, {"data.verb", 'v', 1}, {"data.adj", 'a', 2}, {"data.adv", 'r', 3}};

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

int wordnet_bucket(char pos_letter, uint32_t synset_offset) {
  uint64_t key =
      (static_cast<uint64_t>(static_cast<unsigned char>(pos_letter)) << 32) | synset_offset;
  return static_cast<int>(splitmix64(key) % 10);
}

TextDataset load_wordnet(const std::string& task, const std::string& split,
                         const std::string& dir) {
  bool supersense = task == "wordnet-supersense";
  LB_CHECK(supersense || task == "wordnet-pos", "[wordnet] unknown task \"", task,
           "\": allowed are wordnet-supersense, wordnet-pos");
  int lo = 0, hi = 0;  // buckets [lo, hi] of the split
  if (split == "train")
    lo = 0, hi = 7;
  else if (split == "validation")
    lo = hi = 8;
  else if (split == "test")
    lo = hi = 9;
  else
    LB_FAIL("[wordnet] unknown split \"", split, "\": allowed are train, validation, test");

  TextDataset d;
  if (supersense)
    d.label_names.assign(kLexNames.begin(), kLexNames.end());
  else
    d.label_names = {"noun", "verb", "adj", "adv"};
  for (const DataFile& f : kFiles) {
    std::string path = dir + "/" + f.name;
    std::ifstream in(path);
    LB_CHECK(in, "[wordnet] cannot open ", path,
             ": install the Debian package wordnet-base (apt-get install wordnet-base), or set "
             "data.dir to a folder holding data.noun, data.verb, data.adj and data.adv");
    std::string line;
    int64_t lineno = 0, synsets = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.rfind("  ", 0) == 0 || line.empty()) continue;  // licence header
      // synset_offset lex_filenum ss_type w_cnt word lex_id ... | gloss
      char* end = nullptr;
      unsigned long offset = std::strtoul(line.c_str(), &end, 10);
      char* after_offset = end;
      long lex = std::strtol(after_offset, &end, 10);
      size_t bar = line.find('|');
      LB_CHECK(
          end != after_offset && after_offset != line.c_str() && *end == ' ' && end[1] != '\0' &&
              bar != std::string::npos,
          "[wordnet] ", path, ":", lineno,
          ": not a synset line (expected \"offset lex_filenum ss_type ... | gloss\", see man 5 "
          "wndb); reinstall wordnet-base if the file is damaged");
      char ss_type = end[1];
      LB_CHECK(lex >= 0 && lex < 45, "[wordnet] ", path, ":", lineno, ": lexicographer file ", lex,
               " is outside 0..44 (man 5 lexnames)");
      // Satellite adjectives ('s') live in data.adj and count as adj.
      LB_CHECK(ss_type == f.letter || (f.letter == 'a' && ss_type == 's'), "[wordnet] ", path, ":",
               lineno, ": synset type '", ss_type, "' does not belong in ", f.name);
      ++synsets;
      int b = wordnet_bucket(f.letter, static_cast<uint32_t>(offset));
      if (b < lo || b > hi) continue;
      d.examples.push_back(
          {trim(line.substr(bar + 1)), "", supersense ? static_cast<int32_t>(lex) : f.pos});
    }
    LB_CHECK(synsets > 0, "[wordnet] ", path,
             " holds no synset lines: reinstall the Debian package wordnet-base");
  }
  return d;
}

}  // namespace lowbit
