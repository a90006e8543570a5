// Recipes: the defaults, TOML files, --set overrides, JSON round trips, describe(), every
// recipes/*.toml, and the error messages (each must name the key or file at fault).
#include "lowbit/train/recipe.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "lowbit/core/error.h"
#include "lowbit/optim/optimizer.h"
#include "lowbit/optim/schedule.h"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("lowbit_recipe_test_" + name);
  std::ofstream(p) << text;
  return p.string();
}

// Runs fn, expects a lowbit::Error whose message holds every one of the parts.
template <class Fn>
void expect_error(Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; wanted one mentioning '" << *parts.begin() << "'";
  } catch (const Error& e) {
    std::string msg = e.what();
    for (const std::string& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(Recipe, DefaultsAreTheSmallBertOnWordnet) {
  Recipe r = Recipe::defaults();
  EXPECT_EQ(r.get_string("model.kind"), "bert");
  EXPECT_EQ(r.get_int("model.layers"), 2);
  EXPECT_EQ(r.get_int("model.hidden"), 128);
  EXPECT_EQ(r.get_int("model.heads"), 4);
  EXPECT_EQ(r.get_int("model.ffn"), 512);
  EXPECT_EQ(r.get_int("model.max_positions"), 64);
  EXPECT_EQ(r.get_float("model.dropout"), 0.1);
  EXPECT_EQ(r.get_string("model.vocab"), "default");
  EXPECT_EQ(r.get_string("data.task"), "wordnet-supersense");
  EXPECT_EQ(r.get_string("data.dir"), "");
  EXPECT_EQ(r.get_int("data.max_length"), 64);
  EXPECT_EQ(r.get_int("train.batch_size"), 32);
  EXPECT_EQ(r.get_int("train.epochs"), 2);
  EXPECT_EQ(r.get_int("train.seed"), 1);
  EXPECT_EQ(r.get_string("train.out_dir"), "runs/default");
  EXPECT_EQ(r.get_int("train.log_every"), 50);
  EXPECT_EQ(r.get_string("optim.kind"), "adamw");
  EXPECT_EQ(r.get_float("optim.lr"), 5e-4);
  EXPECT_EQ(r.get_float("optim.weight_decay"), 0.01);
  EXPECT_EQ(r.get_int("optim.warmup_steps"), 200);
  EXPECT_EQ(r.get_string("optim.schedule"), "linear");
  EXPECT_EQ(r.get_float("optim.clip_norm"), 1.0);
  EXPECT_LE(r.get_int("data.max_length"), r.get_int("model.max_positions"));
}

// Every key the trainer, model factory, task data and CLI read, with its type.
TEST(Recipe, EveryKeyTheCodeReadsExists) {
  Recipe r = Recipe::defaults();
  for (const char* k : {"model.layers",
                        "model.hidden",
                        "model.heads",
                        "model.ffn",
                        "model.max_positions",
                        "model.type_vocab",
                        "model.image_size",
                        "model.patch",
                        "model.channels",
                        "data.max_length",
                        "data.max_train_examples",
                        "data.max_test_examples",
                        "train.seed",
                        "train.threads",
                        "train.batch_size",
                        "train.epochs",
                        "train.max_steps",
                        "train.log_every",
                        "train.eval_every",
                        "train.checkpoint_every",
                        "optim.warmup_steps",
                        "numerics.qat_weight_bits",
                        "numerics.qat_act_bits"})
    EXPECT_NO_THROW(r.get_int(k)) << k;
  for (const char* k :
       {"model.dropout", "model.attn_dropout", "optim.lr", "optim.weight_decay", "optim.beta1",
        "optim.beta2", "optim.eps", "optim.momentum", "optim.clip_norm"})
    EXPECT_NO_THROW(r.get_float(k)) << k;
  for (const char* k :
       {"model.kind", "model.vocab", "data.task", "data.dir", "data.format", "data.text_column",
        "data.text_pair_column", "data.label_column", "data.train", "data.test", "train.out_dir",
        "train.on_nonfinite", "optim.kind", "optim.schedule"})
    EXPECT_NO_THROW(r.get_string(k)) << k;
}

TEST(Recipe, TomlOverridesTheDefaults) {
  std::string path = write_temp("ok.toml",
                                "# a comment\n"
                                "train.epochs = 3             # a top-level dotted key\n"
                                "[model]\nlayers = 3\nkind = \"vit\"\nhidden = 96\n"
                                "[optim]\nclip_norm = 2       # an integer for a float key\n"
                                "lr = 3e-4\n"
                                "[data]\ndir = \"/tmp/x\"\n");
  Recipe r = Recipe::from_file(path);
  EXPECT_EQ(r.get_int("model.layers"), 3);
  EXPECT_EQ(r.get_int("model.hidden"), 96);
  EXPECT_EQ(r.get_string("model.kind"), "vit");
  EXPECT_EQ(r.get_float("optim.clip_norm"), 2.0);
  EXPECT_EQ(r.get_float("optim.lr"), 3e-4);
  EXPECT_EQ(r.get_string("data.dir"), "/tmp/x");
  EXPECT_EQ(r.get_int("train.epochs"), 3);
  EXPECT_EQ(r.get_int("model.heads"), 4);  // untouched: the default
}

TEST(Recipe, SetParsesEachType) {
  Recipe r = Recipe::defaults();
  r.set("model.layers=7");
  r.set("train.max_steps = +12");
  r.set("optim.lr=3e-4");
  r.set("optim.clip_norm=2");
  r.set("data.dir=/some/where");
  r.set("train.out_dir=\"runs/quoted\"");
  r.set("data.text_pair_column=");
  r.set("data.train=a=b.tsv");  // only the first '=' splits
  EXPECT_EQ(r.get_int("model.layers"), 7);
  EXPECT_EQ(r.get_int("train.max_steps"), 12);
  EXPECT_EQ(r.get_float("optim.lr"), 3e-4);
  EXPECT_EQ(r.get_float("optim.clip_norm"), 2.0);
  EXPECT_EQ(r.get_string("data.dir"), "/some/where");
  EXPECT_EQ(r.get_string("train.out_dir"), "runs/quoted");
  EXPECT_EQ(r.get_string("data.text_pair_column"), "");
  EXPECT_EQ(r.get_string("data.train"), "a=b.tsv");
}

TEST(Recipe, UnknownKeysSuggestTheClosest) {
  Recipe r = Recipe::defaults();
  expect_error([&] { r.set("model.layerz=3"); }, {"model.layerz", "did you mean 'model.layers'"});
  expect_error([&] { r.set("optim.learning_rat=3"); }, {"optim.learning_rat"});
  expect_error([&] { r.set("layers=3"); }, {"'layers'", "did you mean 'model.layers'"});
  expect_error([&] { r.set("model.layers"); }, {"model.layers", "key=value"});
  expect_error([&] { r.get_int("train.batchsize"); }, {"train.batchsize", "'train.batch_size'"});
  std::string key = write_temp("unknown_key.toml", "[model]\nlayers = 2\nlayerz = 3\n");
  expect_error([&] { Recipe::from_file(key); }, {key + ":3:", "model.layerz", "'model.layers'"});
  std::string section = write_temp("unknown_section.toml", "[modle]\nlayers = 3\n");
  expect_error([&] { Recipe::from_file(section); }, {section + ":1:", "[modle]", "[model]"});
  std::string empty_section = write_temp("empty_section.toml", "[trian]\n");
  expect_error([&] { Recipe::from_file(empty_section); }, {empty_section, "[trian]", "[train]"});
  std::string deep = write_temp("deep.toml", "[model.extra]\nx = 1\n");
  expect_error([&] { Recipe::from_file(deep); }, {deep, "model.extra"});
}

TEST(Recipe, BadTypesNameTheKeyAndType) {
  Recipe r = Recipe::defaults();
  expect_error([&] { r.set("train.batch_size=many"); }, {"train.batch_size", "an integer", "many"});
  expect_error([&] { r.set("train.batch_size=1.5"); }, {"train.batch_size", "an integer"});
  expect_error([&] { r.set("train.batch_size=12abc"); }, {"train.batch_size", "an integer"});
  expect_error([&] { r.set("optim.lr=fast"); }, {"optim.lr", "a number"});
  expect_error([&] { r.set("optim.lr="); }, {"optim.lr", "a number"});
  std::string f = write_temp("bad_type.toml", "[train]\nbatch_size = \"32\"\n");
  expect_error([&] { Recipe::from_file(f); }, {f + ":2:", "train.batch_size", "an integer"});
  std::string g = write_temp("bad_type2.toml", "[optim]\nlr = [1, 2]\n");
  expect_error([&] { Recipe::from_file(g); }, {g + ":2:", "optim.lr", "array"});
  std::string h = write_temp("bad_type3.toml", "[model]\nlayers = 2.0\n");
  expect_error([&] { Recipe::from_file(h); }, {h, "model.layers", "an integer"});
  // Getters check the type too; there is no bool key yet, so get_bool always refuses.
  expect_error([&] { r.get_int("optim.lr"); }, {"optim.lr", "a number", "not an integer"});
  expect_error([&] { r.get_string("model.layers"); }, {"model.layers", "not a string"});
  expect_error([&] { r.get_float("model.kind"); }, {"model.kind", "not a number"});
  expect_error([&] { r.get_bool("model.kind"); }, {"model.kind", "not a boolean"});
}

TEST(Recipe, RangesAreCheckedWhenSet) {
  Recipe r = Recipe::defaults();
  expect_error([&] { r.set("model.layers=-1"); }, {"model.layers", "> 0"});
  expect_error([&] { r.set("model.hidden=0"); }, {"model.hidden", "> 0"});
  expect_error([&] { r.set("train.batch_size=0"); }, {"train.batch_size", "> 0"});
  expect_error([&] { r.set("train.log_every=0"); }, {"train.log_every", "> 0"});
  expect_error([&] { r.set("train.max_steps=-5"); }, {"train.max_steps", ">= 0"});
  expect_error([&] { r.set("model.dropout=1"); }, {"model.dropout", "[0, 1)"});
  expect_error([&] { r.set("model.attn_dropout=-0.1"); }, {"model.attn_dropout", "[0, 1)"});
  expect_error([&] { r.set("optim.beta2=1.0"); }, {"optim.beta2", "[0, 1)"});
  expect_error([&] { r.set("optim.lr=-1e-3"); }, {"optim.lr", ">= 0"});
  expect_error([&] { r.set("optim.lr=inf"); }, {"optim.lr", "finite"});
  expect_error([&] { r.set("optim.eps=0"); }, {"optim.eps", "> 0"});
  expect_error([&] { r.set("train.out_dir="); }, {"train.out_dir", "empty"});
  expect_error([&] { r.set("model.vocab="); }, {"model.vocab", "empty"});
  std::string f = write_temp("range.toml", "[model]\ndropout = 1.5\n");
  expect_error([&] { Recipe::from_file(f); }, {f + ":2:", "model.dropout", "[0, 1)"});
  // Edges that are allowed.
  r.set("model.dropout=0");
  r.set("model.dropout=0.999");
  r.set("optim.clip_norm=0");
  r.set("optim.lr=1e30");
  r.set("train.threads=0");
  r.set("model.vocab=/path/to/vocab.txt");
  // A rejected value leaves the old one.
  EXPECT_THROW(r.set("model.layers=0"), Error);
  EXPECT_EQ(r.get_int("model.layers"), 2);
}

TEST(Recipe, EnumsListTheAllowedValues) {
  Recipe r = Recipe::defaults();
  expect_error([&] { r.set("optim.kind=adagrad"); }, {"optim.kind", "adagrad", "adamw adam sgd"});
  expect_error([&] { r.set("model.kind=gpt"); }, {"model.kind", "bert vit"});
  expect_error([&] { r.set("data.task=imagenet"); },
               {"data.task", "wordnet-supersense wordnet-pos fashion-mnist text-file"});
  expect_error([&] { r.set("optim.schedule=step"); }, {"optim.schedule", "constant linear cosine"});
  expect_error([&] { r.set("train.on_nonfinite=ignore"); }, {"train.on_nonfinite", "stop skip"});
  expect_error([&] { r.set("data.format=xml"); }, {"data.format", "auto tsv csv jsonl"});
  for (const char* v : {"bert", "vit"}) r.set(cat("model.kind=", v));
  for (const char* v : {"wordnet-supersense", "wordnet-pos", "fashion-mnist", "text-file"})
    r.set(cat("data.task=", v));
  for (const char* v : {"stop", "skip"}) r.set(cat("train.on_nonfinite=", v));
  for (const char* v : {"auto", "tsv", "csv", "jsonl"}) r.set(cat("data.format=", v));
}

// The recipe's enumerations must agree with what the optimizer and schedule code accept.
TEST(Recipe, OptimizerAndScheduleNamesMatchTheirCode) {
  Recipe r = Recipe::defaults();
  for (auto kind :
       {optim::ScheduleKind::constant, optim::ScheduleKind::linear, optim::ScheduleKind::cosine}) {
    const char* name = optim::schedule_kind_name(kind);
    r.set(cat("optim.schedule=", name));
    EXPECT_EQ(optim::schedule_kind_from_name(r.get_string("optim.schedule")), kind);
  }
  for (const char* kind : {"adamw", "adam", "sgd"}) {
    r.set(cat("optim.kind=", kind));
    EXPECT_NO_THROW(optim::make_optimizer(r.get_string("optim.kind"), {}, {})) << kind;
  }
}

TEST(Recipe, TomlSyntaxErrorNamesFileLineColumn) {
  std::string f = write_temp("syntax.toml", "[model]\nlayers = 3\nhidden = = 4\n");
  expect_error([&] { Recipe::from_file(f); }, {f + ":3:", "TOML syntax error"});
  std::string g = write_temp("syntax2.toml", "[model\nlayers = 3\n");
  expect_error([&] { Recipe::from_file(g); }, {g + ":1:", "TOML"});
  expect_error([&] { Recipe::from_file("/nonexistent/recipe.toml"); },
               {"/nonexistent/recipe.toml", "not found"});
}

TEST(Recipe, JsonRoundTripIsExact) {
  Recipe r = Recipe::defaults();
  r.set("optim.lr=0.30000000000000004");       // 0.1 + 0.2
  r.set("optim.eps=4.9406564584124654e-324");  // the smallest subnormal
  r.set("optim.weight_decay=1.7976931348623157e308");
  r.set("model.dropout=0.1234567890123456789");
  r.set("train.seed=9223372036854775807");
  r.set("data.dir=/with \"quotes\" and \\ and ünïcode");
  std::string text = r.to_json().dump();
  Recipe back = Recipe::from_json(nlohmann::json::parse(text));
  EXPECT_EQ(back, r);
  EXPECT_EQ(std::bit_cast<uint64_t>(back.get_float("optim.lr")),
            std::bit_cast<uint64_t>(r.get_float("optim.lr")));
  EXPECT_EQ(back.get_float("optim.eps"), 4.9406564584124654e-324);
  EXPECT_EQ(back.get_int("train.seed"), INT64_MAX);
  // Flat: one entry per key, dotted names.
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j["model.layers"], 2);
  EXPECT_TRUE(j["optim.clip_norm"].is_number_float());
  // A partial object keeps the defaults for the rest (older checkpoints lack newer keys).
  Recipe partial = Recipe::from_json({{"model.layers", 5}, {"optim.lr", 1}});
  EXPECT_EQ(partial.get_int("model.layers"), 5);
  EXPECT_EQ(partial.get_float("optim.lr"), 1.0);
  EXPECT_EQ(partial.get_int("model.hidden"), 128);
}

TEST(Recipe, JsonErrorsNameTheKey) {
  expect_error([] { Recipe::from_json(nlohmann::json::array()); }, {"recipe JSON", "object"});
  expect_error(
      [] {
        Recipe::from_json({{"model.layerz", 2}});
      },
      {"model.layerz", "'model.layers'"});
  expect_error(
      [] {
        Recipe::from_json({{"model.layers", "two"}});
      },
      {"model.layers", "an integer"});
  expect_error([] { Recipe::from_json({{"model.layers", 2.5}}); }, {"model.layers", "an integer"});
  expect_error([] { Recipe::from_json({{"model.layers", 0}}); }, {"model.layers", "> 0"});
  expect_error([] { Recipe::from_json({{"optim.lr", nullptr}}); }, {"optim.lr", "a number"});
}

TEST(Recipe, DescribeListsEveryKeyAsValidToml) {
  Recipe r = Recipe::defaults();
  r.set("data.dir=/a \"b\"");
  std::string text = r.describe();
  std::istringstream in(text);
  std::regex line_re(R"(^([a-z_]+)\.([a-z0-9_]+) = (.+?) +# .+$)");
  std::set<std::string> keys;
  std::vector<std::string> sections;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, line_re)) << line;
    EXPECT_TRUE(keys.insert(m[1].str() + "." + m[2].str()).second) << "twice: " << line;
    if (sections.empty() || sections.back() != m[1]) sections.push_back(m[1]);
  }
  EXPECT_EQ(keys.size(), r.to_json().size());
  EXPECT_EQ(sections, (std::vector<std::string>{"model", "data", "numerics", "train", "optim", "distill"}));  // grouped
  // bench/step_vs_pytorch.sh splits lines with awk -F'[ =#]+': field 1 the key, field 2 the value.
  EXPECT_NE(text.find("\nmodel.layers = 2 "), std::string::npos);
  EXPECT_NE(text.find("\ntrain.batch_size = 32 "), std::string::npos);
  EXPECT_NE(text.find("optim.lr = 0.0005 "), std::string::npos);
  EXPECT_NE(text.find("optim.clip_norm = 1.0 "), std::string::npos);  // a float stays a float
  // The text is itself a recipe: it reads back to the same values.
  EXPECT_EQ(Recipe::from_file(write_temp("described.toml", text)), r);
}

TEST(Recipe, EveryRecipeFileParses) {
  fs::path dir = fs::path(LOWBIT_SOURCE_DIR) / "recipes";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_NO_THROW(Recipe::from_file(entry.path().string())) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 4);
  // bert-wordnet.toml states the built-in default; the two must not drift apart.
  EXPECT_EQ(Recipe::from_file((dir / "bert-wordnet.toml").string()), Recipe::defaults());
  Recipe vit = Recipe::from_file((dir / "vit-fashion-mnist.toml").string());
  EXPECT_EQ(vit.get_string("model.kind"), "vit");
  EXPECT_EQ(vit.get_string("data.task"), "fashion-mnist");
  EXPECT_EQ(vit.get_int("model.image_size") % vit.get_int("model.patch"), 0);
  EXPECT_EQ(vit.get_int("model.hidden") % vit.get_int("model.heads"), 0);
  EXPECT_EQ(vit.get_float("model.attn_dropout"), 0.0);
  Recipe mini = Recipe::from_file((dir / "bert-minilm-shape.toml").string());
  EXPECT_EQ(mini.get_int("model.layers"), 6);
  EXPECT_EQ(mini.get_int("model.hidden"), 384);
  EXPECT_EQ(mini.get_int("model.heads"), 12);
  EXPECT_EQ(mini.get_int("model.ffn"), 1536);
  EXPECT_EQ(mini.get_int("data.max_length"), 128);
  EXPECT_EQ(Recipe::from_file((dir / "bert-wordnet-pos.toml").string()).get_string("data.task"),
            "wordnet-pos");
}

}  // namespace
}  // namespace lowbit
