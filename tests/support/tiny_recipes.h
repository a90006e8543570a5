// Tiny recipes on the real data sets for end-to-end trainer tests (seconds per run), and the
// checks that let a test skip cleanly where the data is not installed.
#pragma once

#include <filesystem>
#include <string>

#include "lowbit/core/error.h"
#include "lowbit/data/pretrained_paths.h"
#include "lowbit/train/recipe.h"

namespace lowbit::testing {

namespace fs = std::filesystem;

// Text runs need WordNet and the default vocabulary (scripts/fetch_pretrained.sh).
inline bool have_wordnet() {
  try {
    find_default_vocab();
  } catch (const Error&) {
    return false;
  }
  return fs::exists("/usr/share/wordnet/data.noun");
}
inline bool have_fashion_mnist() {
  return fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

inline std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lowbit_trainer_test_" + name);
  fs::remove_all(p);
  return p.string();
}

// A tiny BERT on a slice of wordnet-pos: a few seconds per run.
inline Recipe tiny_text_recipe(const std::string& out_dir) {
  Recipe r = Recipe::defaults();
  for (const char* kv : {"model.kind=bert", "model.layers=1", "model.hidden=32", "model.heads=2",
                         "model.ffn=64", "model.max_positions=32", "data.task=wordnet-pos",
                         "data.max_length=32", "data.max_train_examples=96",
                         "data.max_test_examples=40", "train.batch_size=16", "train.epochs=1",
                         "train.max_steps=8", "train.log_every=2", "optim.warmup_steps=2"})
    r.set(kv);
  r.set("train.out_dir=" + out_dir);
  return r;
}

inline Recipe tiny_image_recipe(const std::string& out_dir) {
  Recipe r = Recipe::defaults();
  for (const char* kv : {"model.kind=vit", "model.layers=1", "model.hidden=16", "model.heads=2",
                         "model.ffn=32", "model.image_size=28", "model.patch=7",
                         "model.channels=1", "data.task=fashion-mnist",
                         "data.max_train_examples=64", "data.max_test_examples=32",
                         "train.batch_size=16", "train.max_steps=6", "train.log_every=2",
                         "optim.warmup_steps=1"})
    r.set(kv);
  r.set("train.out_dir=" + out_dir);
  return r;
}

}  // namespace lowbit::testing
