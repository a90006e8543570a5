// safetensors reading (every length, offset and size checked before a byte is trusted) and
// writing (through a temporary file and a rename); the layout is described in safetensors.h.
#include "lowbit/train/safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace lowbit {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; this reader copies bytes as they are");

namespace {

using ordered_json = nlohmann::ordered_json;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: man * 2^-24, exact in f32
    float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  uint32_t bits = exp == 31 ? sign | 0x7f800000u | (man << 13)  // inf, nan (payload kept)
                            : sign | ((exp + 112) << 23) | (man << 13);
  return std::bit_cast<float>(bits);
}

float bf16_to_f32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

// A header entry once checked: where its bytes are and what they become.
struct Entry {
  std::string name;
  DType dtype;           // the tensor's dtype in memory
  bool from_16 = false;  // F16 / BF16 in the file, converted to f32
  bool bf16 = false;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// "tensor 'w' (data_offsets [0, 24), file bytes [88, 112))"
std::string range_str(const Entry& e, uint64_t buffer_start) {
  return cat("tensor '", e.name, "' (data_offsets [", e.begin, ", ", e.end, "), file bytes [",
             buffer_start + e.begin, ", ", buffer_start + e.end, "))");
}

bool get_u64(const ordered_json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

Entry parse_entry(const std::string& path, const std::string& name, const ordered_json& v,
                  uint64_t buffer_size) {
  Entry e;
  e.name = name;
  std::string what = cat(path, ": tensor '", name, "'");
  LB_CHECK(v.is_object(), what, ": header entry is ", v.dump(),
           ", expected {dtype, shape, data_offsets}");
  LB_CHECK(v.contains("dtype") && v["dtype"].is_string(), what,
           ": header entry has no string 'dtype'");
  LB_CHECK(v.contains("shape") && v["shape"].is_array(), what,
           ": header entry has no 'shape' array");
  LB_CHECK(
      v.contains("data_offsets") && v["data_offsets"].is_array() && v["data_offsets"].size() == 2,
      what, ": header entry has no 'data_offsets' [begin, end]");
  std::string dt = v["dtype"].get<std::string>();
  int elem = 0;
  if (dt == "F16" || dt == "BF16") {
    e.dtype = DType::f32;
    e.from_16 = true;
    e.bf16 = dt == "BF16";
    elem = 2;
  } else {
    LB_CHECK(
        dtype_from_safetensors(dt, &e.dtype), what, ": dtype '", dt,
        "' is not supported (supported: F32 F64 I8 I16 I32 U8 I64 F8_E4M3 F8_E5M2; F16 and BF16 are read as f32)");
    elem = dtype_bytes(e.dtype);
  }
  uint64_t numel = 1;
  for (const ordered_json& d : v["shape"]) {
    uint64_t n = 0;
    LB_CHECK(get_u64(d, &n) && n <= static_cast<uint64_t>(INT64_MAX), what, ": shape ",
             v["shape"].dump(), " has a dimension that is not a non-negative integer");
    LB_CHECK(!__builtin_mul_overflow(numel, n, &numel), what, ": shape ", v["shape"].dump(),
             " overflows");
    e.shape.push_back(static_cast<int64_t>(n));
  }
  uint64_t bytes = 0;
  LB_CHECK(!__builtin_mul_overflow(numel, static_cast<uint64_t>(elem), &bytes) &&
               numel <= static_cast<uint64_t>(INT64_MAX),
           what, ": shape ", v["shape"].dump(), " overflows");
  const ordered_json& off = v["data_offsets"];
  LB_CHECK(get_u64(off[0], &e.begin) && get_u64(off[1], &e.end), what, ": data_offsets ",
           off.dump(), " are not non-negative integers");
  LB_CHECK(e.begin <= e.end, what, ": data_offsets ", off.dump(),
           " are out of order (begin > end)");
  LB_CHECK(e.end <= buffer_size, path, ": ", range_str(e, 0), " ends past the byte buffer (",
           buffer_size, " bytes); the file is truncated or corrupt");
  LB_CHECK(e.end - e.begin == bytes, path, ": ", range_str(e, 0), " holds ", e.end - e.begin,
           " bytes, but shape ", shape_str(e.shape), " of ", dt, " needs ", bytes);
  return e;
}

}  // namespace

const Tensor& SafetensorsFile::get(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  std::string some;
  for (size_t i = 0; i < tensors.size() && i < 5; ++i)
    some += cat(i ? ", '" : "'", tensors[i].first, "'");
  if (tensors.size() > 5) some += ", ...";
  LB_FAIL(path, ": no tensor '", name, "' (the file holds ", tensors.size(),
          tensors.size() == 1 ? " tensor" : " tensors", tensors.empty() ? "" : ": ", some, ")");
}

bool SafetensorsFile::has(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(),
                     [&](const auto& p) { return p.first == name; });
}

SafetensorsFile safetensors_read(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  LB_CHECK(f, path, ": cannot open (", std::strerror(errno), ")");
  LB_CHECK(fseeko(f.get(), 0, SEEK_END) == 0, path, ": cannot seek (", std::strerror(errno), ")");
  const uint64_t size = static_cast<uint64_t>(ftello(f.get()));
  std::rewind(f.get());
  LB_CHECK(size >= 8, path, ": ", size, " bytes, too short for a safetensors file (it starts with ",
           "an 8-byte header length)");
  uint64_t n = 0;
  LB_CHECK(std::fread(&n, 8, 1, f.get()) == 1, path, ": cannot read the header length");
  LB_CHECK(n <= size - 8, path, ": header length ", n, " (bytes [8, 8 + ", n,
           ")) runs past the end of the file (", size,
           " bytes); truncated, or not a safetensors file");
  std::string text(n, '\0');
  LB_CHECK(n == 0 || std::fread(text.data(), n, 1, f.get()) == 1, path, ": cannot read the header");
  ordered_json header;
  try {
    header = ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    LB_FAIL(path, ": the header (file bytes [8, ", 8 + n, ")) is not valid JSON: ", e.what());
  }
  LB_CHECK(header.is_object(), path, ": the header (file bytes [8, ", 8 + n, ")) is a JSON ",
           header.type_name(), ", expected an object");

  const uint64_t buffer_start = 8 + n, buffer_size = size - buffer_start;
  SafetensorsFile out;
  out.path = path;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      LB_CHECK(v.is_object(), path, ": __metadata__ is ", v.type_name(),
               ", expected an object of strings");
      for (const auto& [k, s] : v.items()) {
        LB_CHECK(s.is_string(), path, ": __metadata__ '", k, "' is ", s.dump(),
                 ", expected a string");
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, v, buffer_size));
  }

  // In byte order the ranges must tile the buffer exactly: no overlap, no gap, nothing after.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : by_offset) {
    LB_CHECK(e->begin >= covered, path, ": ", range_str(*e, buffer_start), " overlaps ",
             range_str(*prev, buffer_start));
    LB_CHECK(e->begin == covered, path, ": ", range_str(*e, buffer_start),
             " leaves a gap after byte ", covered, " of the buffer (the format has no holes)");
    covered = e->end;
    prev = e;
  }
  LB_CHECK(covered == buffer_size, path, ": the byte buffer (file bytes [", buffer_start, ", ",
           size, ")) is ", buffer_size, " bytes but the tensors cover ", covered,
           "; the file is truncated or has trailing bytes");

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    uint64_t bytes = e.end - e.begin;
    if (bytes > 0) {
      LB_CHECK(fseeko(f.get(), static_cast<off_t>(buffer_start + e.begin), SEEK_SET) == 0, path,
               ": cannot seek to ", range_str(e, buffer_start));
      void* dst = t.raw();
      std::vector<uint16_t> half;
      if (e.from_16) {
        half.resize(static_cast<size_t>(t.numel()));
        dst = half.data();
      }
      LB_CHECK(std::fread(dst, bytes, 1, f.get()) == 1, path, ": cannot read ",
               range_str(e, buffer_start), " (the file changed while being read?)");
      float* p = e.from_16 ? t.data<float>() : nullptr;
      for (size_t i = 0; i < half.size(); ++i)
        p[i] = e.bf16 ? bf16_to_f32(half[i]) : f16_to_f32(half[i]);
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

void safetensors_write(const std::string& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json m = ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    LB_CHECK(name != "__metadata__", path, ": a tensor cannot be named __metadata__");
    LB_CHECK(seen.insert(name).second, path, ": two tensors are named '", name, "'");
    LB_CHECK(t.defined(), path, ": tensor '", name, "' is undefined (no storage)");
    header[name] = {{"dtype", dtype_info(t.dtype()).safetensors_name},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    LB_FAIL(path, ": a tensor name or metadata string is not valid UTF-8 (", e.what(), ")");
  }
  text.resize((text.size() + 7) / 8 * 8, ' ');  // the buffer starts 8-byte aligned

  const std::string tmp = path + ".tmp";
  auto fail = [&](const std::string& what) {
    int err = errno;
    std::remove(tmp.c_str());
    LB_FAIL(path, ": ", what, " (", std::strerror(err),
            "); is the directory writable and the disk not full?");
  };
  File f(std::fopen(tmp.c_str(), "wb"));
  if (!f) fail("cannot create " + tmp);
  uint64_t n = text.size();
  bool ok =
      std::fwrite(&n, 8, 1, f.get()) == 1 && std::fwrite(text.data(), text.size(), 1, f.get()) == 1;
  for (const auto& [name, t] : tensors)
    if (ok && t.nbytes() > 0) ok = std::fwrite(t.raw(), t.nbytes(), 1, f.get()) == 1;
  if (!ok || std::fflush(f.get()) != 0) fail("writing " + tmp + " failed");
  if (fsync(fileno(f.get())) != 0) fail("syncing " + tmp + " failed");  // on disk before the rename
  if (std::fclose(f.release()) != 0) fail("closing " + tmp + " failed");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming " + tmp + " into place failed");
}

}  // namespace lowbit
