// The TT layout of a compressed layer is read back from its cores' shapes (r_{k-1}, o_k, i_k,
// r_k), so this needs no access to the layer objects: the parameter list is enough.
#include "lowbit/train/init_from.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "lowbit/nn/tt_matrix.h"
#include "lowbit/train/safetensors.h"

namespace lowbit {

namespace {

// "X.core12" -> ("X", 12); otherwise ("", -1).
std::pair<std::string, int> core_of(const std::string& name) {
  const size_t dot = name.rfind(".core");
  if (dot == std::string::npos || dot + 5 == name.size()) return {"", -1};
  const std::string digits = name.substr(dot + 5);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {"", -1};
  return {name.substr(0, dot), std::stoi(digits)};
}

// The dense matrix a TT layer replaces, as (rows, cols) = (out or padded vocab, in or C).
Tensor padded_rows(const Tensor& w, int64_t rows) {
  if (w.dim(0) == rows) return w;
  Tensor p = Tensor::zeros({rows, w.dim(1)}, w.dtype());
  std::copy(static_cast<const char*>(w.raw()), static_cast<const char*>(w.raw()) + w.nbytes(),
            static_cast<char*>(p.raw()));
  return p;
}

}  // namespace

std::vector<std::string> init_from_checkpoint(const std::string& dir,
                                              const std::vector<nn::Param*>& params) {
  const std::string path = dir + "/model.safetensors";
  SafetensorsFile file = safetensors_read(path);
  std::map<std::string, const Tensor*> stored;
  for (const auto& [name, t] : file.tensors) stored[name] = &t;

  std::vector<std::string> fresh;
  std::map<std::string, std::vector<nn::Param*>> tt;  // layer -> cores in order
  int copied = 0, compressed = 0;
  for (nn::Param* p : params) {
    auto it = stored.find(p->name);
    if (it != stored.end()) {
      const Tensor& t = *it->second;
      LB_CHECK(t.shape() == p->value.shape(), path, ": ", p->name, " is ", t.shape_string(),
               " but the model's is ", p->value.shape_string(),
               " (model.init_from needs the same architecture, up to tensor-train layers)");
      p->value.copy_from(t.dtype() == p->value.dtype() ? t : t.to(p->value.dtype()));
      ++copied;
      continue;
    }
    auto [layer, k] = core_of(p->name);
    if (k >= 0) {
      auto& cores = tt[layer];
      if (static_cast<int>(cores.size()) <= k) cores.resize(static_cast<size_t>(k) + 1, nullptr);
      cores[static_cast<size_t>(k)] = p;
    } else {
      fresh.push_back(p->name);
    }
  }
  for (auto& [layer, cores] : tt) {
    const bool linear = stored.count(layer + ".weight") > 0;
    auto src = stored.find(linear ? layer + ".weight" : layer);
    if (src == stored.end() || std::count(cores.begin(), cores.end(), nullptr) > 0) {
      for (nn::Param* c : cores)
        if (c) fresh.push_back(c->name);
      continue;
    }
    nn::TtShape shape;
    shape.ranks.push_back(1);
    for (nn::Param* c : cores) {
      LB_CHECK(c->value.ndim() == 4, "[init_from] ", c->name, " is ", c->value.shape_string(),
               ", expected a tensor-train core (r, o, i, r')");
      shape.out_modes.push_back(c->value.dim(1));
      shape.in_modes.push_back(c->value.dim(2));
      shape.ranks.push_back(c->value.dim(3));
    }
    const Tensor& w = *src->second;
    LB_CHECK(w.ndim() == 2, path, ": ", src->first, " is ", w.shape_string(),
             ", expected a matrix to compress into ", layer, "'s tensor-train cores");
    nn::TtLayout layout = nn::tt_layout(shape, w.dim(1), w.dim(0), "init_from " + layer, !linear);
    int64_t rows = 1;
    for (int64_t o : layout.out_modes) rows *= o;
    std::vector<double> discarded;
    const Tensor w64 = w.to(DType::f64);
    std::vector<Tensor> g = nn::tt_svd(padded_rows(w64, rows), layout, &discarded);
    double dropped = 0, total = 0;
    for (double d : discarded) dropped += d;
    for (double v : w64.to_vector()) total += v * v;
    for (size_t k = 0; k < cores.size(); ++k) cores[k]->value.copy_from(g[k].to(cores[k]->value.dtype()));
    std::printf("init_from: %s <- TT-SVD of %s %s (%s); relative error <= %.3g\n", layer.c_str(),
                src->first.c_str(), w.shape_string().c_str(), layout.str().c_str(),
                total > 0 ? std::sqrt(dropped / total) : 0.0);
    ++compressed;
  }
  std::printf("init_from: %d tensors copied and %d layers compressed from %s\n", copied, compressed,
              path.c_str());
  return fresh;
}

}  // namespace lowbit
