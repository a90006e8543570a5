// Task data: WordNet / text-file classification through the WordPiece tokenizer, and
// Fashion-MNIST images. Text is tokenized once; a batch is trimmed to its longest example.
#include "lowbit/train/task_data.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "lowbit/core/parallel.h"
#include "lowbit/data/batcher.h"
#include "lowbit/data/idx.h"
#include "lowbit/data/pretrained_paths.h"
#include "lowbit/data/text_dataset.h"
#include "lowbit/data/tokenizer.h"
#include "lowbit/data/wordnet.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

namespace {

constexpr uint64_t kSubsetSeed = 0x5eed5eedULL;

// One split of a text task, tokenized to (N, L) with L = data.max_length.
struct EncodedSplit {
  int64_t n = 0, len = 0;
  std::vector<int32_t> ids, segments, labels;
  std::vector<uint8_t> mask;
  std::vector<int32_t> lengths;  // real tokens per example

  // limit > 0 keeps a fixed pseudo-random subset (in file order): the files are sorted by
  // class, so their first N examples would hold only a few classes.
  void encode(const TextDataset& d, const Tokenizer& tok, int64_t max_len, int64_t limit) {
    int64_t total = static_cast<int64_t>(d.examples.size());
    n = limit > 0 ? std::min<int64_t>(limit, total) : total;
    std::vector<int64_t> pick(static_cast<size_t>(total));
    std::iota(pick.begin(), pick.end(), 0);
    if (n < total) {
      pick = epoch_order(total, kSubsetSeed, 0);
      pick.resize(static_cast<size_t>(n));
      std::sort(pick.begin(), pick.end());
    }
    len = max_len;
    ids.resize(n * len);
    segments.resize(n * len);
    mask.resize(n * len);
    labels.resize(n);
    lengths.resize(n);
    parallel_for(n, 256, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const TextExample& ex = d.examples[pick[i]];
        tok.encode(ex.a, ex.b, len, &ids[i * len], &segments[i * len], &mask[i * len]);
        labels[i] = ex.label;
        int32_t real = 0;
        for (int64_t t = 0; t < len; ++t) real += mask[i * len + t];
        lengths[i] = real;
      }
    });
  }
};

class TextTask : public TaskData {
 public:
  TextTask(TextDataset train, TextDataset test, Tokenizer tok, const Recipe& r, std::string name)
      : tok_(std::move(tok)), names_(train.label_names), name_(std::move(name)) {
    int64_t max_len = r.get_int("data.max_length");
    train_.encode(train, tok_, max_len, r.get_int("data.max_train_examples"));
    test_.encode(test, tok_, max_len, r.get_int("data.max_test_examples"));
    for (int32_t l : train_.labels)
      LB_CHECK(l >= 0 && l < static_cast<int32_t>(names_.size()), name_, ": label ", l, " out of range");
  }
  int64_t size(bool train) const override { return (train ? train_ : test_).n; }
  int64_t num_classes() const override { return static_cast<int64_t>(names_.size()); }
  const std::vector<std::string>& label_names() const override { return names_; }
  const char* unit() const override { return "tokens"; }
  int64_t vocab_size() const override { return tok_.vocab_size(); }
  std::vector<int32_t> train_lengths() const override { return train_.lengths; }
  int64_t units(const models::ModelInput& in) const override {
    int64_t s = 0;
    const uint8_t* m = in.mask.data<uint8_t>();
    for (int64_t i = 0; i < in.mask.numel(); ++i) s += m[i];
    return s;
  }
  std::string describe() const override {
    return cat(name_, ": ", train_.n, " train / ", test_.n, " test examples, ", names_.size(),
               " classes, max length ", train_.len, ", vocab ", tok_.vocab_size());
  }

  models::ModelInput batch(bool train, const std::vector<int64_t>& idx, Tensor* labels) const override {
    const EncodedSplit& s = train ? train_ : test_;
    int64_t b = static_cast<int64_t>(idx.size());
    int64_t t = 1;
    for (int64_t i : idx) t = std::max<int64_t>(t, s.lengths[i]);
    models::ModelInput in;
    in.ids = Tensor::empty({b, t}, DType::i32);
    in.segments = Tensor::empty({b, t}, DType::i32);
    in.mask = Tensor::empty({b, t}, DType::u8);
    *labels = Tensor::empty({b}, DType::i32);
    for (int64_t r = 0; r < b; ++r) {
      int64_t src = idx[r] * s.len;
      std::memcpy(in.ids.data<int32_t>() + r * t, &s.ids[src], t * sizeof(int32_t));
      std::memcpy(in.segments.data<int32_t>() + r * t, &s.segments[src], t * sizeof(int32_t));
      std::memcpy(in.mask.data<uint8_t>() + r * t, &s.mask[src], t);
      labels->data<int32_t>()[r] = s.labels[idx[r]];
    }
    return in;
  }

 private:
  Tokenizer tok_;
  std::vector<std::string> names_;
  std::string name_;
  EncodedSplit train_, test_;
};

class ImageTask : public TaskData {
 public:
  ImageTask(ImageDataset train, ImageDataset test, int64_t max_train, int64_t max_test)
      : train_(std::move(train)), test_(std::move(test)) {
    n_train_ = max_train > 0 ? std::min(max_train, train_.images.dim(0)) : train_.images.dim(0);
    n_test_ = max_test > 0 ? std::min(max_test, test_.images.dim(0)) : test_.images.dim(0);
    for (int64_t c = 0; c < train_.classes; ++c) names_.push_back(std::to_string(c));
  }
  int64_t size(bool train) const override { return train ? n_train_ : n_test_; }
  int64_t num_classes() const override { return train_.classes; }
  const std::vector<std::string>& label_names() const override { return names_; }
  const char* unit() const override { return "images"; }
  int64_t units(const models::ModelInput& in) const override { return in.images.dim(0); }
  std::string describe() const override {
    return cat("fashion-mnist: ", n_train_, " train / ", n_test_, " test images ",
               train_.images.shape_string(), ", ", train_.classes, " classes");
  }
  models::ModelInput batch(bool train, const std::vector<int64_t>& idx, Tensor* labels) const override {
    const ImageDataset& d = train ? train_ : test_;
    int64_t b = static_cast<int64_t>(idx.size());
    Shape shape = d.images.shape();
    int64_t per = d.images.numel() / shape[0];
    shape[0] = b;
    models::ModelInput in;
    in.images = Tensor::empty(shape, DType::f32);
    *labels = Tensor::empty({b}, DType::i32);
    for (int64_t r = 0; r < b; ++r) {
      std::memcpy(in.images.data<float>() + r * per, d.images.data<float>() + idx[r] * per,
                  per * sizeof(float));
      labels->data<int32_t>()[r] = d.labels.data<int32_t>()[idx[r]];
    }
    return in;
  }

 private:
  ImageDataset train_, test_;
  int64_t n_train_ = 0, n_test_ = 0;
  std::vector<std::string> names_;
};

Tokenizer recipe_tokenizer(const Recipe& r) {
  std::string vocab = r.get_string("model.vocab");
  return Tokenizer::from_vocab_file(vocab == "default" ? find_default_vocab() : vocab);
}

}  // namespace

std::unique_ptr<TaskData> make_task_data(const Recipe& r) {
  std::string task = r.get_string("data.task");
  std::string dir = r.get_string("data.dir");
  if (task == "fashion-mnist") {
    std::string d = dir.empty() ? "/usr/share/datasets/fashion-mnist" : dir;
    return std::make_unique<ImageTask>(load_fashion_mnist("train", d), load_fashion_mnist("test", d),
                                       r.get_int("data.max_train_examples"),
                                       r.get_int("data.max_test_examples"));
  }
  if (task == "wordnet-supersense" || task == "wordnet-pos") {
    std::string d = dir.empty() ? "/usr/share/wordnet" : dir;
    return std::make_unique<TextTask>(load_wordnet(task, "train", d), load_wordnet(task, "test", d),
                                      recipe_tokenizer(r), r, task);
  }
  TextFileSpec spec;
  spec.format = r.get_string("data.format");
  spec.text_column = r.get_string("data.text_column");
  spec.text_pair_column = r.get_string("data.text_pair_column");
  spec.label_column = r.get_string("data.label_column");
  LB_CHECK(!r.get_string("data.train").empty() && !r.get_string("data.test").empty(),
           "data.task = text-file needs data.train and data.test paths");
  TextDataset train = load_text_file(r.get_string("data.train"), spec);
  spec.label_names = train.label_names;
  TextDataset test = load_text_file(r.get_string("data.test"), spec);
  return std::make_unique<TextTask>(std::move(train), std::move(test), recipe_tokenizer(r), r,
                                    "text-file " + r.get_string("data.train"));
}

}  // namespace lowbit
