// QFormat validation and naming, and the 2-D view shared by every quantizer.
// The rules here are the ones documented in docs/FORMATS.md.
#include "lowbit/core/qtensor.h"

namespace lowbit {

int64_t qview_cols(const Shape& shape) { return shape.empty() ? 1 : shape.back(); }

int64_t qview_rows(const Shape& shape) {
  int64_t cols = qview_cols(shape);
  return cols == 0 ? 0 : shape_numel(shape) / cols;
}

Shape qscales_shape(const QFormat& f, const Shape& shape) {
  int64_t rows = qview_rows(shape), cols = qview_cols(shape);
  switch (f.gran) {
    case Granularity::tensor: return {1};
    case Granularity::row: return {rows};
    case Granularity::col: return {cols};
    case Granularity::block: return {rows, f.block > 0 ? (cols + f.block - 1) / f.block : 0};
  }
  return {1};
}

void qformat_check(const char* op, const QFormat& f) {
  LB_CHECK(f.gran != Granularity::block || f.block > 0, "[", op, "] format ", qformat_name(f),
           ": granularity block needs block > 0, got ", f.block);
  if (f.encoding == Encoding::intn) {
    LB_CHECK(f.bits >= 2 && f.bits <= 16, "[", op, "] format ", qformat_name(f),
             ": integer bits must be in 2..16, got ", f.bits);
    bool ok = (f.storage == DType::i8 && f.bits <= 8) || (f.storage == DType::i16) ||
              (f.storage == DType::u8 && f.bits == 4);
    LB_CHECK(ok, "[", op, "] format ", qformat_name(f), ": storage ", dtype_name(f.storage),
             " cannot hold ", f.bits, "-bit codes (use i8 for <= 8 bits, i16 for <= 16, u8 for",
             " packed int4)");
    return;
  }
  LB_CHECK(f.storage == DType::u8 && f.bits == 8, "[", op, "] format ", qformat_name(f),
           ": fp8 and dynamic codes are u8 with bits = 8, got ", dtype_name(f.storage), " bits ",
           f.bits);
  LB_CHECK(f.scale_kind == ScaleKind::amax, "[", op, "] format ", qformat_name(f),
           ": fp8 and dynamic codes take amax scales only");
  bool fp8 = f.encoding == Encoding::fp8_e4m3 || f.encoding == Encoding::fp8_e5m2;
  LB_CHECK(fp8 || f.rounding == Rounding::nearest_even, "[", op, "] format ", qformat_name(f),
           ": dynamic-map codes round to nearest only");
}

std::string qformat_name(const QFormat& f) {
  std::string s;
  switch (f.encoding) {
    case Encoding::intn:
      s = cat("int", f.bits, f.storage == DType::u8 && f.bits == 4 ? "p" : "");
      break;
    case Encoding::fp8_e4m3: s = "fp8_e4m3"; break;
    case Encoding::fp8_e5m2: s = "fp8_e5m2"; break;
    case Encoding::dynamic_signed: s = "dyn8s"; break;
    case Encoding::dynamic_unsigned: s = "dyn8u"; break;
  }
  switch (f.gran) {
    case Granularity::tensor: s += "/tensor"; break;
    case Granularity::row: s += "/row"; break;
    case Granularity::col: s += "/col"; break;
    case Granularity::block: s += cat("/block", f.block); break;
  }
  s += f.rounding == Rounding::stochastic ? "/sr" : "/rne";
  s += f.scale_kind == ScaleKind::pow2 ? "/pow2" : "/amax";
  return s;
}

}  // namespace lowbit
