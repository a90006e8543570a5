// Tensor storage, views and conversions.
#include "lowbit/core/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "lowbit/core/parallel.h"

namespace lowbit {

namespace {
std::atomic<size_t> g_live{0};
std::atomic<size_t> g_peak{0};

template <class Fn>
void dispatch_dtype(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: fn(float{}); break;
    case DType::f64: fn(double{}); break;
    case DType::i8: fn(int8_t{}); break;
    case DType::i16: fn(int16_t{}); break;
    case DType::i32: fn(int32_t{}); break;
    case DType::u8: fn(uint8_t{}); break;
    case DType::i64: fn(int64_t{}); break;
    case DType::f8_e4m3:
    case DType::f8_e5m2:
      LB_FAIL("[tensor] ", dtype_name(t), " holds FP8 codes with no arithmetic here; decode them "
              "(formats/fp8.h) first");
  }
}
}  // namespace

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    LB_CHECK(d >= 0, "[tensor] negative dimension in shape ", shape_str(shape));
    n *= d;
  }
  return n;
}

Storage::Storage(size_t bytes) : bytes_(bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  data_ = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  LB_CHECK(data_ != nullptr, "[tensor] out of memory allocating ", bytes, " bytes");
  size_t live = g_live.fetch_add(bytes) + bytes;
  size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
}

Storage::~Storage() {
  std::free(data_);
  g_live.fetch_sub(bytes_);
}

size_t tensor_bytes_live() { return g_live.load(); }
size_t tensor_bytes_peak() { return g_peak.load(); }
void tensor_bytes_peak_reset() { g_peak.store(g_live.load()); }

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(t.nbytes());
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.zero_();
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

int64_t Tensor::dim(int i) const {
  int n = ndim();
  int j = i < 0 ? i + n : i;
  LB_CHECK(j >= 0 && j < n, "[tensor] dim ", i, " out of range for shape ", shape_string());
  return shape_[j];
}

void Tensor::check_dtype(DType want) const {
  LB_CHECK(dtype_ == want, "[tensor] accessed as ", dtype_name(want), " but tensor ",
           shape_string(), " is ", dtype_name(dtype_));
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      LB_CHECK(infer < 0, "[reshape] more than one -1 in ", shape_str(shape));
      infer = static_cast<int>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    LB_CHECK(known > 0 && numel_ % known == 0, "[reshape] cannot reshape ", shape_string(),
             " to ", shape_str(shape));
    s[infer] = numel_ / known;
  }
  LB_CHECK(shape_numel(s) == numel_, "[reshape] cannot reshape ", shape_string(), " to ",
           shape_str(shape));
  Tensor t = *this;
  t.shape_ = s;
  return t;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const {
  LB_CHECK(ndim() >= 1 && begin >= 0 && begin <= end && end <= shape_[0], "[tensor] rows [",
           begin, ", ", end, ") out of range for ", shape_string());
  Tensor t = *this;
  int64_t row = shape_[0] == 0 ? 0 : numel_ / shape_[0];
  t.offset_ += static_cast<size_t>(begin * row) * dtype_bytes(dtype_);
  t.shape_[0] = end - begin;
  t.numel_ = (end - begin) * row;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return clone();
  Tensor out = empty(shape_, dtype);
  dispatch_dtype(dtype_, [&](auto src_tag) {
    using S = decltype(src_tag);
    const S* src = static_cast<const S*>(raw());
    dispatch_dtype(dtype, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      D* dst = static_cast<D*>(out.raw());
      for (int64_t i = 0; i < numel_; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out;
}

void Tensor::zero_() {
  // Large tensors (gradients zeroed every step: 91 MB for MiniLM) in chunks across threads.
  constexpr int64_t kChunkBytes = int64_t{1} << 20;
  char* p = static_cast<char*>(raw());
  parallel_for(static_cast<int64_t>(nbytes()), kChunkBytes,
               [&](int64_t b, int64_t e) { std::memset(p + b, 0, static_cast<size_t>(e - b)); });
}

void Tensor::fill_(double value) {
  dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(raw());
    for (int64_t i = 0; i < numel_; ++i) p[i] = static_cast<T>(value);
  });
}

void Tensor::copy_from(const Tensor& src) {
  LB_CHECK(src.shape_ == shape_ && src.dtype_ == dtype_, "[tensor] copy_from ",
           src.shape_string(), " ", dtype_name(src.dtype_), " into ", shape_string(), " ",
           dtype_name(dtype_));
  if (nbytes()) std::memmove(raw(), src.raw(), nbytes());
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> v(static_cast<size_t>(numel_));
  dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(raw());
    for (int64_t i = 0; i < numel_; ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}

void check_shape(const char* op, const char* what, const Tensor& t, const Shape& expected) {
  bool ok = t.ndim() == static_cast<int>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i)
    ok = expected[i] < 0 || expected[i] == t.shape()[i];
  if (ok) return;
  std::string want = "(";
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i) want += ", ";
    want += expected[i] < 0 ? std::string("*") : std::to_string(expected[i]);
  }
  want += ")";
  LB_FAIL("[", op, "] ", what, " is ", t.shape_string(), ", expected ", want);
}

void check_dtype(const char* op, const char* what, const Tensor& t, DType expected) {
  LB_CHECK(t.dtype() == expected, "[", op, "] ", what, " is ", dtype_name(t.dtype()),
           ", expected ", dtype_name(expected));
}

}  // namespace lowbit
