// Where the pretrained all-MiniLM-L6-v2 (config.json, vocab.txt, model.safetensors) is found once
// scripts/fetch_pretrained.sh has installed it from PyPI; its vocab.txt is the default vocabulary.
//
// Search order: $LOWBIT_PRETRAINED_DIR/<name>, then <source dir>/.cache/pretrained/<name> (where
// fetch_pretrained.sh puts it; it honours LOWBIT_PRETRAINED_DIR too). Nothing found: an Error
// that lists the places looked and says to run scripts/fetch_pretrained.sh.
#pragma once

#include <string>

namespace lowbit {

// The folder holding config.json, vocab.txt and the weights of the pretrained model `name`.
std::string find_pretrained_dir(const std::string& name = "all-MiniLM-L6-v2");

// vocab.txt of all-MiniLM-L6-v2 (30522 uncased WordPiece tokens).
std::string find_default_vocab();

}  // namespace lowbit
