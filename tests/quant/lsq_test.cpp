// LSQ fake quantizer: forward values, the STE mask and the step gradient bit for bit against a
// direct implementation of the paper's formulas (f32 and f64, signed and unsigned, values outside
// the clip range and exactly on its ends), the initialisation rule, and export codes.
#include "lowbit/quant/lsq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

template <class T>
Tensor randn(const Shape& shape, uint64_t seed, double sd) {
  Tensor t = Tensor::empty(shape, dtype_of<T>());
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

template <class T>
void set_step(LsqQuantizer& q, double s) {
  q.step().value.data<T>()[0] = static_cast<T>(s);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// The paper (Esser et al. 2020, eqs. 1-3 and section 2.2), written out element by element:
// v = x/s; q = clip(round(v)) * s; dq/dx = 1 on -Q_N < v < Q_P; dq/ds = round(v) - v there,
// -Q_N for v <= -Q_N, Q_P for v >= Q_P; dL/ds = g * sum dL/dq * dq/ds, g = 1/sqrt(N * Q_P).
template <class T>
struct Reference {
  Tensor q, dx;
  T dstep;
};

template <class T>
Reference<T> paper(const Tensor& x, const Tensor& dq, T s, int64_t qn_i, int64_t qp_i) {
  const T qn = static_cast<T>(qn_i), qp = static_cast<T>(qp_i);
  Reference<T> r;
  r.q = Tensor::empty(x.shape(), x.dtype());
  r.dx = Tensor::empty(x.shape(), x.dtype());
  T* rq = static_cast<T*>(r.q.raw());
  T* rdx = static_cast<T*>(r.dx.raw());
  double sum = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const T xi = x.data<T>()[i], gi = dq.data<T>()[i];
    const T v = xi / s;
    T code = std::nearbyint(v) + T(0);             // the header's rule: code 0 is +0
    if (code < -qn) code = static_cast<T>(-qn_i);  // +0, not -0, when Q_N = 0
    if (code > qp) code = qp;
    rq[i] = code * s;
    T dqds;
    if (v <= -qn) {
      dqds = -qn;
      rdx[i] = 0;
    } else if (v >= qp) {
      dqds = qp;
      rdx[i] = 0;
    } else {
      dqds = std::nearbyint(v) - v;
      rdx[i] = gi;
    }
    sum += static_cast<double>(gi) * static_cast<double>(dqds);
  }
  const double g = 1.0 / std::sqrt(static_cast<double>(x.numel()) * static_cast<double>(qp_i));
  r.dstep = static_cast<T>(g * sum);
  return r;
}

template <class T>
void check_against_paper(int bits, bool is_signed, double s, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << dtype_name(dtype_of<T>()) << " bits " << bits
                                    << (is_signed ? " signed" : " unsigned") << " s " << s);
  LsqQuantizer q("layer.weight_step", bits, is_signed, dtype_of<T>());
  set_step<T>(q, s);
  const T st = q.step().value.data<T>()[0];
  // Wide enough that a good share of the values falls outside the clip range on both sides.
  const double range = static_cast<double>(q.q_p()) * s;
  Tensor x = randn<T>({37, 41}, seed, range * 0.8);
  T* px = x.data<T>();
  // Exactly on the ends, just inside and just outside them, and ties of the rounding.
  const T qn = static_cast<T>(q.q_n()), qp = static_cast<T>(q.q_p());
  const T specials[] = {qp * st,
                        -qn * st,
                        std::nextafter(qp * st, T(0)),
                        std::nextafter(-qn * st, T(0)),
                        std::nextafter(qp * st, T(1e9)),
                        T(0.5) * st,
                        T(-1.5) * st,
                        T(2.5) * st,
                        T(0),
                        qp * st * 3,
                        -qn * st * 3};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) px[i * 7] = specials[i];
  Tensor dq = randn<T>({37, 41}, seed + 1, 1.0);
  Reference<T> ref = paper<T>(x, dq, st, q.q_n(), q.q_p());

  Tensor out = q.forward(x);
  EXPECT_TRUE(same_bits(out, ref.q)) << "forward values";
  EXPECT_TRUE(same_bits(q.saved_fake_quantized(), ref.q)) << "recomputed values";
  EXPECT_EQ(q.step().value.data<T>()[0], st) << "a set step is not re-initialised";
  Tensor dx = q.backward(dq);
  EXPECT_TRUE(same_bits(dx, ref.dx)) << "dx: straight-through inside the range, 0 outside";
  const T got = q.step().grad.data<T>()[0];
  EXPECT_EQ(0, std::memcmp(&got, &ref.dstep, sizeof(T))) << got << " vs " << ref.dstep;
  int64_t outside = 0;
  for (int64_t i = 0; i < dx.numel(); ++i) outside += dx.data<T>()[i] == 0;
  EXPECT_GT(outside, x.numel() / 20) << "the data should reach outside the clip range";
  EXPECT_LT(outside, x.numel() * 3 / 4);
  // Accumulates (+=) like every Param::grad.
  q.forward(x);
  q.backward(dq);
  EXPECT_EQ(q.step().grad.data<T>()[0], static_cast<T>(ref.dstep + ref.dstep));
}

TEST(Lsq, StepGradientIsThePaperFormulaBitForBitF64) {
  for (int bits : {2, 3, 4, 8})
    for (bool sg : {true, false}) {
      check_against_paper<double>(bits, sg, 0.1, 10 + bits);
      check_against_paper<double>(bits, sg, 0.125, 20 + bits);
    }
}

TEST(Lsq, StepGradientIsThePaperFormulaBitForBitF32) {
  for (int bits : {2, 4, 5, 8})
    for (bool sg : {true, false}) {
      check_against_paper<float>(bits, sg, 0.1, 30 + bits);
      check_against_paper<float>(bits, sg, 0.03125, 40 + bits);
    }
}

TEST(Lsq, RangeOfSignedAndUnsigned) {
  LsqQuantizer s4("a", 4, true), u4("b", 4, false), s8("c", 8, true), u8q("d", 8, false);
  EXPECT_EQ(s4.q_n(), 8);
  EXPECT_EQ(s4.q_p(), 7);
  EXPECT_EQ(u4.q_n(), 0);
  EXPECT_EQ(u4.q_p(), 15);
  EXPECT_EQ(s8.q_n(), 128);
  EXPECT_EQ(s8.q_p(), 127);
  EXPECT_EQ(u8q.q_p(), 255);
  EXPECT_FALSE(s4.step().decay);
  EXPECT_EQ(s4.step().value.shape(), Shape{1});
  EXPECT_EQ(s4.step().name, "a");
}

TEST(Lsq, InitialisesFromTheFirstForwardOnlyWhenTheStepIsZero) {
  Tensor x = randn<float>({64, 33}, 5, 0.7);
  double mean_abs = 0;
  for (double v : x.to_vector()) mean_abs += std::fabs(v);
  mean_abs /= static_cast<double>(x.numel());
  for (int bits : {3, 8}) {
    LsqQuantizer q("w_step", bits, true);
    EXPECT_EQ(q.step_value(), 0.0);
    q.forward(x);
    const float want = static_cast<float>(2.0 * mean_abs / std::sqrt(double(q.q_p())));
    EXPECT_EQ(q.step().value.data<float>()[0], want) << "s = 2 mean|x| / sqrt(Q_P)";
    EXPECT_NEAR(q.step_value(), 2.0 * mean_abs / std::sqrt(double(q.q_p())), 1e-7);
    q.forward(randn<float>({8, 8}, 6, 5.0));  // another batch: the step stays
    EXPECT_EQ(q.step().value.data<float>()[0], want);
  }
  LsqQuantizer loaded("w_step", 8, true);
  set_step<float>(loaded, 0.3);  // what checkpoint_load_weights does
  loaded.forward(x);
  EXPECT_EQ(loaded.step().value.data<float>()[0], 0.3f);
}

TEST(Lsq, AllZeroInputLeavesTheStepUninitialised) {
  LsqQuantizer q("a_step", 8, true);
  Tensor z = Tensor::zeros({4, 5});
  Tensor out = q.forward(z);
  EXPECT_EQ(q.step_value(), 0.0);
  EXPECT_TRUE(same_bits(out, z));
  Tensor dq = randn<float>({4, 5}, 1, 1.0);
  EXPECT_TRUE(same_bits(q.backward(dq), dq));
  EXPECT_EQ(q.step().grad.data<float>()[0], 0.0f);
  q.forward(randn<float>({4, 5}, 2, 1.0));
  EXPECT_GT(q.step_value(), 0.0);
}

TEST(Lsq, CodesDequantizeToTheForwardBitForBit) {
  for (int bits : {2, 4, 8})
    for (bool sg : {true, false}) {
      SCOPED_TRACE(::testing::Message() << bits << (sg ? " signed" : " unsigned"));
      LsqQuantizer q("layer.weight_step", bits, sg);
      Tensor w = randn<float>({31, 17}, 100 + bits, 0.05);
      Tensor fwd = q.forward(w);  // initialises the step from w
      LsqCodes c = q.codes(w);
      EXPECT_EQ(c.step, q.step().value.data<float>()[0]);
      ASSERT_EQ(c.codes.dtype(), sg ? DType::i8 : DType::u8);
      ASSERT_EQ(c.codes.shape(), w.shape());
      int64_t lo = 1000, hi = -1000;
      for (int64_t i = 0; i < w.numel(); ++i) {
        const int64_t code = sg ? c.codes.data<int8_t>()[i] : c.codes.data<uint8_t>()[i];
        lo = std::min(lo, code);
        hi = std::max(hi, code);
        const float dq = static_cast<float>(code) * c.step;
        ASSERT_EQ(0, std::memcmp(&dq, fwd.data<float>() + i, sizeof(float))) << "element " << i;
      }
      EXPECT_GE(lo, -q.q_n());
      EXPECT_LE(hi, q.q_p());
      if (!sg) {
        EXPECT_EQ(lo, 0) << "negative weights clip to 0 unsigned";
      }
    }
}

TEST(Lsq, BitsOutOfRangeAndBadStepsAreClearErrors) {
  for (int bits : {0, 1, 9, 16}) {
    try {
      LsqQuantizer q("enc.0.fc1.weight_step", bits, true);
      FAIL() << bits << " bits must be refused";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("enc.0.fc1.weight_step"), std::string::npos) << m;
      EXPECT_NE(m.find("2..8"), std::string::npos) << m;
    }
  }
  LsqQuantizer q("enc.0.fc1.act_step", 8, true);
  set_step<float>(q, -0.01);
  try {
    q.forward(randn<float>({2, 3}, 1, 1.0));
    FAIL() << "a negative step must be refused";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("enc.0.fc1.act_step"), std::string::npos) << m;
    EXPECT_NE(m.find("optim.lr"), std::string::npos) << m;
  }
  EXPECT_THROW(q.forward(randn<double>({2, 3}, 1, 1.0)), Error);  // dtype differs from the step
}

TEST(Lsq, NanStaysNan) {
  LsqQuantizer q("s", 8, true);
  set_step<float>(q, 0.1);
  Tensor x = Tensor::full({3}, 0.2);
  x.data<float>()[1] = std::nanf("");
  Tensor out = q.forward(x);
  EXPECT_TRUE(std::isnan(out.data<float>()[1]));
  EXPECT_THROW(q.codes(x), Error);
}

TEST(Lsq, SetDtypeConvertsTheStep) {
  LsqQuantizer q("s", 8, true);
  set_step<float>(q, 0.25);
  q.set_dtype(DType::f64);
  EXPECT_EQ(q.step().value.dtype(), DType::f64);
  EXPECT_EQ(q.step().grad.dtype(), DType::f64);
  EXPECT_EQ(q.step_value(), 0.25);
}

}  // namespace
}  // namespace lowbit
