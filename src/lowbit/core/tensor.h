// Tensor: a contiguous, row-major, 64-byte-aligned array with a shape and a dtype.
// Views (reshape, row ranges) share storage; there are no strides: layers lay data out as they need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/core/dtype.h"
#include "lowbit/core/error.h"

namespace lowbit {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);

// Owns aligned bytes; the byte count is tracked for the peak-memory report.
class Storage {
 public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_;
  size_t bytes_;
};

// Bytes currently held by all tensors, and the high-water mark since the last reset.
size_t tensor_bytes_live();
size_t tensor_bytes_peak();
void tensor_bytes_peak_reset();

class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  template <class T>
  static Tensor from_vector(const Shape& shape, const std::vector<T>& values);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Negative indices count from the back.
  int64_t dim(int i) const;
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_bytes(dtype_); }
  std::string shape_string() const { return shape_str(shape_); }

  template <class T>
  T* data() {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(raw());
  }
  template <class T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(raw());
  }
  void* raw() { return storage_ ? static_cast<char*>(storage_->data()) + offset_ : nullptr; }
  const void* raw() const {
    return storage_ ? static_cast<const char*>(storage_->data()) + offset_ : nullptr;
  }

  // A view with another shape of the same numel (one -1 is inferred).
  Tensor reshape(const Shape& shape) const;
  // A view of rows [begin, end) along dim 0.
  Tensor rows(int64_t begin, int64_t end) const;
  Tensor clone() const;
  // A copy converted to another dtype (float<->float, int->float; float->int truncates toward zero).
  Tensor to(DType dtype) const;
  void zero_();
  void fill_(double value);
  void copy_from(const Tensor& src);  // same shape and dtype
  std::vector<double> to_vector() const;  // any dtype, for tests and reports
  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

 private:
  void check_dtype(DType want) const;

  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
  Shape shape_;
  int64_t numel_ = 0;
  DType dtype_ = DType::f32;
};

// "[linear] weight is (768, 3072), expected (3072, 768)" style checks.
void check_shape(const char* op, const char* what, const Tensor& t, const Shape& expected);
void check_dtype(const char* op, const char* what, const Tensor& t, DType expected);

template <class T>
Tensor Tensor::from_vector(const Shape& shape, const std::vector<T>& values) {
  Tensor t = empty(shape, dtype_of<T>());
  LB_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "[tensor] from_vector: ",
           values.size(), " values for shape ", shape_str(shape));
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

}  // namespace lowbit
