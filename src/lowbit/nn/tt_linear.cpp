// TtLinear: the contractions live in tt_matrix.cpp and the bias in nn/bias; this file owns the
// parameters, the optional LSQ quantizers, and the TT-SVD and factory entry points.
#include "lowbit/nn/tt_linear.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lowbit/nn/bias.h"

namespace lowbit::nn {

TtLinear::TtLinear(std::string name, int64_t in_features, int64_t out_features, bool with_bias,
                   const TtShape& shape, Rng& rng, DType dtype, const TtQat& qat)
    : name_(std::move(name)), has_bias_(with_bias) {
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[tt_linear ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  layout_ = tt_layout(shape, in_features, out_features, "tt_linear " + name_);
  double rank_product = 1;
  for (int k = 1; k < layout_.d(); ++k) rank_product *= static_cast<double>(layout_.ranks[k]);
  const double sigma = std::pow(0.02 / std::sqrt(rank_product), 1.0 / layout_.d());
  for (int k = 0; k < layout_.d(); ++k) {
    cores.push_back(make_param(cat(name_, ".core", k), layout_.core_shape(k), dtype, true));
    Rng init = rng.child(name_hash(cores.back().name));
    init.fill_normal(cores.back().value, 0.0, sigma);
  }
  if (has_bias_) bias = make_param(name_ + ".bias", {out_features}, dtype, false);
  if (qat.weight_bits > 0)
    core_q_ = TtCoreQuantizers(name_, layout_.d(), qat.weight_bits, qat.step_lr_scale, dtype);
  if (qat.act_bits > 0) {
    act_q_ = std::make_unique<LsqQuantizer>(name_ + ".act_step", qat.act_bits, true, dtype);
    act_q_->step().lr_scale = qat.step_lr_scale;
  }
}

void TtLinear::collect_params(std::vector<Param*>& out) {
  for (Param& c : cores) out.push_back(&c);
  if (has_bias_) out.push_back(&bias);
  core_q_.collect_params(out);
  if (act_q_) out.push_back(&act_q_->step());
}

std::vector<const Tensor*> TtLinear::core_values() const {
  std::vector<const Tensor*> v;
  for (const Param& c : cores) v.push_back(&c.value);
  return v;
}

Tensor TtLinear::materialize() const { return tt_materialize(layout_, core_values()); }

Tensor TtLinear::forward(const Tensor& x, const ForwardContext& ctx) {
  LB_CHECK(x.ndim() == 2 && x.dim(1) == in_features(), "[tt_linear ", name_, "] x is ",
           x.shape_string(), ", expected (*, ", in_features(), ")");
  const DType dt = cores[0].value.dtype();
  LB_CHECK(x.dtype() == dt, "[tt_linear ", name_, "] x is ", dtype_name(x.dtype()),
           " but the cores are ", dtype_name(dt));
  Tensor y = tt_forward(layout_, core_q_.forward(cores), act_q_ ? act_q_->forward(x) : x, &saved_);
  if (has_bias_) bias_add_rows(y, bias.value);
  return y;
}

Tensor TtLinear::backward(const Tensor& dy) {
  LB_CHECK(saved_.rows >= 0, "[tt_linear ", name_, "] backward called before forward");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == saved_.rows && dy.dim(1) == out_features(),
           "[tt_linear ", name_, "] dy is ", dy.shape_string(), ", expected (", saved_.rows, ", ",
           out_features(), ")");
  const DType dt = cores[0].value.dtype();
  LB_CHECK(dy.dtype() == dt, "[tt_linear ", name_, "] dy is ", dtype_name(dy.dtype()),
           ", expected ", dtype_name(dt));
  Tensor dx = tt_backward(layout_, core_q_.saved_operands(cores), saved_, dy,
                          core_q_.gradient_targets(cores));
  core_q_.finish_backward(cores);
  if (act_q_) dx = act_q_->backward(dx);
  if (has_bias_) bias_grad_acc(dy, bias.grad);
  return dx;
}

TtLinear tt_linear_from_dense(const std::string& name, const Tensor& weight, const Tensor& b,
                              const TtShape& shape) {
  LB_CHECK(weight.ndim() == 2, "[tt_linear ", name, "] dense weight is ", weight.shape_string(),
           ", expected (out, in)");
  const int64_t out = weight.dim(0), in = weight.dim(1);
  if (b.defined())
    LB_CHECK(b.ndim() == 1 && b.dim(0) == out && b.dtype() == weight.dtype(), "[tt_linear ", name,
             "] dense bias is ", b.shape_string(), " ", dtype_name(b.dtype()), ", expected (", out,
             ") ", dtype_name(weight.dtype()));
  Rng unused(0);
  TtLinear layer(name, in, out, b.defined(), shape, unused, weight.dtype());
  std::vector<Tensor> c = tt_svd(weight, layer.layout());
  for (size_t k = 0; k < c.size(); ++k) layer.cores[k].value.copy_from(c[k]);
  if (b.defined()) layer.bias.value.copy_from(b);
  return layer;
}

TtLinear tt_linear_from_dense(const std::string& name, const Linear& dense, const TtShape& shape) {
  return tt_linear_from_dense(name, dense.weight.value, dense.bias.value, shape);
}

ProjectionFactory tt_projections(TtOptions options) {
  return [options](const std::string& name, int64_t in, int64_t out, bool bias, Rng& rng,
                   DType dtype) -> std::unique_ptr<Projection> {
    for (const std::string& m : options.match)
      if (name.find(m) != std::string::npos) {
        TtShape shape;
        shape.d = options.d;
        shape.max_rank = options.max_rank;
        return std::make_unique<TtLinear>(name, in, out, bias, shape, rng, dtype,
                                          options.qat ? options.qat(name) : TtQat{});
      }
    return std::make_unique<Linear>(name, in, out, bias, rng, dtype);
  };
}

}  // namespace lowbit::nn
