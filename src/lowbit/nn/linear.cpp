// Linear layer: the three GEMMs of forward/backward go through the layer's GemmNumerics; the
// bias rides in the numerics' forward; its gradient is nn/bias (thread-count independent).
#include "lowbit/nn/linear.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "lowbit/nn/bias.h"

namespace lowbit::nn {

Linear::Linear(std::string name, int64_t in_features, int64_t out_features, bool with_bias,
               Rng& rng, DType dtype)
    : name_(std::move(name)), has_bias_(with_bias) {
  LB_CHECK(in_features > 0 && out_features > 0, "[linear ", name_, "] in_features ", in_features,
           " and out_features ", out_features, " must be positive");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[linear ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  weight = make_param(name_ + ".weight", {out_features, in_features}, dtype, true);
  Rng init = rng.child(name_hash(weight.name));
  init.fill_normal(weight.value, 0.0, 0.02);
  if (has_bias_) bias = make_param(name_ + ".bias", {out_features}, dtype, false);
}

void Linear::collect_params(std::vector<Param*>& out) {
  out.push_back(&weight);
  if (has_bias_) out.push_back(&bias);
  numerics_->collect_params(out);
}

Tensor Linear::forward(const Tensor& x, const ForwardContext& ctx) {
  LB_CHECK(x.ndim() == 2 && x.dim(1) == in_features(), "[linear ", name_, "] x is ",
           x.shape_string(), ", expected (*, ", in_features(), ")");
  LB_CHECK(x.dtype() == weight.value.dtype(), "[linear ", name_, "] x is ", dtype_name(x.dtype()),
           " but the weight is ", dtype_name(weight.value.dtype()));
  rows_ = x.dim(0);
  return numerics_->forward_bias(x, weight.value, has_bias_ ? bias.value : Tensor(), ctx);
}

Tensor Linear::backward(const Tensor& dy) {
  LB_CHECK(rows_ >= 0, "[linear ", name_, "] backward called before forward");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == rows_ && dy.dim(1) == out_features(), "[linear ",
           name_, "] dy is ", dy.shape_string(), ", expected (", rows_, ", ", out_features(), ")");
  LB_CHECK(dy.dtype() == weight.value.dtype(), "[linear ", name_, "] dy is ",
           dtype_name(dy.dtype()), ", expected ", dtype_name(weight.value.dtype()));
  Tensor dx = numerics_->backward_input(dy);
  backward_params(dy);
  return dx;
}

void Linear::backward_params(const Tensor& dy) {
  LB_CHECK(rows_ >= 0 && dy.ndim() == 2 && dy.dim(0) == rows_ && dy.dim(1) == out_features(),
           "[linear ", name_, "] dy is ", dy.shape_string(), ", expected (", rows_, ", ",
           out_features(), ") after a forward");
  numerics_->backward_weight(dy, weight.grad);
  if (has_bias_) bias_grad_acc(dy, bias.grad);
}

ProjectionFactory dense_projections() {
  return [](const std::string& name, int64_t in, int64_t out, bool bias, Rng& rng, DType dtype) {
    return std::make_unique<Linear>(name, in, out, bias, rng, dtype);
  };
}

}  // namespace lowbit::nn
