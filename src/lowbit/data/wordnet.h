// WordNet gloss classification from Debian's wordnet-base (/usr/share/wordnet), two tasks that
// need no hand labelling: gloss -> supersense (lexicographer file) and gloss -> part of speech.
//
// Source: data.noun, data.verb, data.adj, data.adv (format `man 5 wndb`); the licence header lines
// (they start with two spaces) are skipped. One example per synset line, in that file order:
//   text  = the gloss, everything after the first '|', trimmed (definition and examples);
//   label = "wordnet-supersense": lex_filenum 0..44, names as in `man 5 lexnames` in number order
//           (adj.all, adj.pert, adv.all, noun.Tops, noun.act, ..., verb.weather, adj.ppl);
//           "wordnet-pos": noun 0, verb 1, adj 2, adv 3 (satellite adjectives, ss_type 's', are
//           adj).
//
// Split rule (deterministic, independent of file order and of the task):
//   key    = (uint64(p) << 32) | synset_offset, p = the data file's letter 'n', 'v', 'a' or 'r'
//            (offsets are unique within one data file, so (p, offset) names one synset);
//   h      = splitmix64(key)  (Steele, Lea & Flood 2014: x += 0x9E3779B97F4A7C15;
//            x = (x ^ x >> 30) * 0xBF58476D1CE4E5B9; x = (x ^ x >> 27) * 0x94D049BB133111EB; x ^ x
//            >> 31);
//   bucket = h % 10: 0-7 "train" (80%), 8 "validation" (10%), 9 "test" (10%).
// wordnet-base 3.0 has 117,659 synsets: 82,115 noun, 13,767 verb, 18,156 adj, 3,621 adv.
#pragma once

#include <cstdint>
#include <string>

#include "lowbit/data/text_dataset.h"

namespace lowbit {

// task: "wordnet-supersense" | "wordnet-pos"; split: "train" | "validation" | "test";
// dir: the folder with data.noun etc. (/usr/share/wordnet when installed by wordnet-base).
TextDataset load_wordnet(const std::string& task, const std::string& split, const std::string& dir);

// The split bucket 0..9 of a synset (see the rule above); exposed for tests and docs.
int wordnet_bucket(char pos_letter, uint32_t synset_offset);

}  // namespace lowbit
