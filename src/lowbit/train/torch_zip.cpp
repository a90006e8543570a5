// torch.save archive -> named tensors: finds data.pkl, interprets it, then copies each tensor's
// elements out of its storage entry (checking the view fits the storage) and widens f16/bf16.
#include "lowbit/train/torch_zip.h"

#include <cstring>
#include <map>

#include "lowbit/train/torch_pickle.h"
#include "lowbit/train/zip_reader.h"

namespace lowbit {

namespace {

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    int e = -1;
    do {
      ++e;
      man <<= 1;
    } while (!(man & 0x400));
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// The lowbit dtype a storage type becomes.
DType target_dtype(const std::string& st) {
  if (st == "FloatStorage" || st == "HalfStorage" || st == "BFloat16Storage") return DType::f32;
  if (st == "DoubleStorage") return DType::f64;
  if (st == "LongStorage") return DType::i64;
  if (st == "IntStorage") return DType::i32;
  if (st == "ShortStorage") return DType::i16;
  if (st == "CharStorage") return DType::i8;
  return DType::u8;  // ByteStorage, BoolStorage
}

std::string find_prefix(const ZipReader& zip) {
  std::string found;
  for (const ZipEntry& e : zip.entries()) {
    const std::string tail = "data.pkl";
    if (e.name.size() >= tail.size() &&
        e.name.compare(e.name.size() - tail.size(), tail.size(), tail) == 0) {
      std::string prefix = e.name.substr(0, e.name.size() - tail.size());
      if (prefix.find('/') == prefix.size() - 1 || prefix.empty()) {
        LB_CHECK(found.empty(), zip.path(), ": holds more than one data.pkl ('", found,
                 "data.pkl', '", e.name, "')");
        found = prefix.empty() ? std::string("/") : prefix;
      }
    }
  }
  LB_CHECK(!found.empty(), zip.path(),
           ": a zip archive without <name>/data.pkl, so not a torch.save file");
  return found == "/" ? std::string() : found;
}

Tensor materialize(const TorchTensorRecord& r, const std::vector<char>& storage,
                   const std::string& where) {
  int eb = torch_storage_element_bytes(r.storage_type);
  LB_CHECK(eb > 0, where, ": tensor '", r.name, "' uses storage type torch.", r.storage_type,
           ", which lowbit does not read");
  LB_CHECK(static_cast<int64_t>(storage.size()) == r.storage_numel * eb, where, ": tensor '",
           r.name, "': storage data/", r.storage_key, " is ", storage.size(),
           " bytes, the pickle says ", r.storage_numel, " elements of ", eb, " bytes");
  int64_t numel = 1, last = r.offset;
  for (size_t d = 0; d < r.shape.size(); ++d) {
    LB_CHECK(r.shape[d] >= 0 && r.stride[d] >= 0, where, ": tensor '", r.name, "' has size ",
             shape_str(r.shape), " stride ", shape_str(r.stride), " (negative values)");
    numel *= r.shape[d];
    if (r.shape[d] > 0) last += (r.shape[d] - 1) * r.stride[d];
  }
  if (numel > 0)
    LB_CHECK(r.offset >= 0 && last < r.storage_numel, where, ": tensor '", r.name, "' (size ",
             shape_str(r.shape), ", stride ", shape_str(r.stride), ", offset ", r.offset,
             ") reads storage element ", last, " of data/", r.storage_key, ", which has ",
             r.storage_numel, " (bytes [", r.offset * eb, ", ", (last + 1) * eb, ") of ",
             storage.size(), ")");
  DType dt = target_dtype(r.storage_type);
  Tensor t = Tensor::empty(r.shape, dt);
  char* dst = static_cast<char*>(t.raw());
  const char* src = storage.data();
  int out_bytes = dtype_bytes(dt);
  std::vector<int64_t> idx(r.shape.size(), 0);
  int64_t at = r.offset;  // current source element
  for (int64_t i = 0; i < numel; ++i) {
    const char* s = src + at * eb;
    if (r.storage_type == "HalfStorage" || r.storage_type == "BFloat16Storage") {
      uint16_t h;
      std::memcpy(&h, s, 2);
      float f = r.storage_type == "HalfStorage" ? half_to_float(h) : bf16_to_float(h);
      std::memcpy(dst + i * out_bytes, &f, 4);
    } else if (r.storage_type == "BoolStorage") {
      dst[i] = s[0] != 0;
    } else {
      std::memcpy(dst + i * out_bytes, s, static_cast<size_t>(eb));
    }
    for (int d = static_cast<int>(idx.size()) - 1; d >= 0; --d) {  // row-major odometer
      at += r.stride[d];
      if (++idx[d] < r.shape[d]) break;
      at -= r.stride[d] * r.shape[d];
      idx[d] = 0;
    }
  }
  return t;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> torch_load_state_dict(const std::string& path) {
  LB_CHECK(is_zip_file(path), path,
           ": not a zip archive. torch.save files from PyTorch < 1.6 "
           "(the legacy format) are not read; re-save with a newer torch or convert to "
           "model.safetensors");
  ZipReader zip(path);
  std::string prefix = find_prefix(zip);
  if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
    std::vector<char> b = zip.read(*bo);
    LB_CHECK(std::string(b.begin(), b.end()) == "little", path, ": byteorder is '",
             std::string(b.begin(), b.end()), "'; only little-endian archives are read");
  }
  std::string pkl_name = prefix + "data.pkl";
  std::vector<TorchTensorRecord> records =
      torch_pickle_state_dict(zip.read(*zip.find(pkl_name)), path + ": " + pkl_name);
  std::map<std::string, std::vector<char>> storages;  // read each once: tied weights share one
  std::vector<std::pair<std::string, Tensor>> out;
  for (const TorchTensorRecord& r : records) {
    auto it = storages.find(r.storage_key);
    if (it == storages.end()) {
      std::string entry = prefix + "data/" + r.storage_key;
      const ZipEntry* e = zip.find(entry);
      LB_CHECK(e != nullptr, path, ": tensor '", r.name, "' refers to storage '", entry,
               "', which the archive does not hold");
      it = storages.emplace(r.storage_key, zip.read(*e)).first;
    }
    out.emplace_back(r.name, materialize(r, it->second, path));
  }
  return out;
}

}  // namespace lowbit
