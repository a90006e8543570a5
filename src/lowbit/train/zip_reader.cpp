// Zip central-directory reader: every offset and size is checked against the file before use,
// so a truncated or corrupt archive is an error naming the path and byte range, never a crash.
#include "lowbit/train/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint64_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30;

uint64_t le(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
}  // namespace

bool is_zip_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[4] = {};
  in.read(sig, 4);
  return in.gcount() == 4 && le(sig, 4) == kLocalSig;
}

ZipReader::ZipReader(const std::string& path) : path_(path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  LB_CHECK(in.good(), path, ": cannot open the file");
  std::streamoff n = in.tellg();
  bytes_.resize(static_cast<size_t>(n));
  in.seekg(0);
  in.read(bytes_.data(), n);
  LB_CHECK(in.gcount() == n, path, ": short read (", in.gcount(), " of ", n, " bytes)");
  read_central_directory();
}

void ZipReader::read_central_directory() {
  const uint64_t size = bytes_.size();
  const char* b = bytes_.data();
  // The end record sits in the last 22 + 65535 (comment) bytes.
  int64_t end = -1;
  for (int64_t p = static_cast<int64_t>(size) - static_cast<int64_t>(kEndSize);
       p >= 0 && p >= static_cast<int64_t>(size) - static_cast<int64_t>(kEndSize) - 65535; --p) {
    if (le(b + p, 4) == kEndSig) {
      end = p;
      break;
    }
  }
  LB_CHECK(end >= 0, path_, ": no zip end-of-central-directory record in the last ",
           std::min<uint64_t>(size, kEndSize + 65535),
           " bytes (the file is truncated or not a zip)");
  uint64_t count = le(b + end + 10, 2);
  uint64_t dir_size = le(b + end + 12, 4);
  uint64_t dir_offset = le(b + end + 16, 4);
  if (count == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff) {
    int64_t loc = end - 20;
    LB_CHECK(loc >= 0 && le(b + loc, 4) == kZip64LocatorSig, path_,
             ": the end record asks for zip64 but there is no zip64 locator at byte ", loc);
    uint64_t z = le(b + loc + 8, 8);
    LB_CHECK(z + 56 <= size && le(b + z, 4) == kZip64EndSig, path_,
             ": no zip64 end record at bytes [", z, ", ", z + 56, ") of ", size);
    count = le(b + z + 32, 8);
    dir_size = le(b + z + 40, 8);
    dir_offset = le(b + z + 48, 8);
  }
  LB_CHECK(dir_offset <= size && dir_size <= size - dir_offset, path_, ": central directory [",
           dir_offset, ", ", dir_offset + dir_size, ") lies outside the file (", size,
           " bytes): the file is truncated");
  uint64_t p = dir_offset;
  for (uint64_t i = 0; i < count; ++i) {
    LB_CHECK(p + kCentralSize <= dir_offset + dir_size && le(b + p, 4) == kCentralSig, path_,
             ": central directory record ", i, " at byte ", p, " is malformed");
    ZipEntry e;
    e.method = static_cast<uint16_t>(le(b + p + 10, 2));
    e.crc32 = static_cast<uint32_t>(le(b + p + 16, 4));
    e.compressed_size = le(b + p + 20, 4);
    e.size = le(b + p + 24, 4);
    uint64_t name_len = le(b + p + 28, 2), extra_len = le(b + p + 30, 2),
             comment_len = le(b + p + 32, 2);
    e.local_header_offset = le(b + p + 42, 4);
    uint64_t rec_end = p + kCentralSize + name_len + extra_len + comment_len;
    LB_CHECK(rec_end <= dir_offset + dir_size, path_, ": central directory record ", i,
             " at bytes [", p, ", ", rec_end, ") runs past the directory");
    e.name.assign(b + p + kCentralSize, name_len);
    // zip64 extra field (id 1): 64-bit values for exactly the fields that hold 0xffffffff.
    for (uint64_t x = p + kCentralSize + name_len;
         x + 4 <= p + kCentralSize + name_len + extra_len;) {
      uint64_t id = le(b + x, 2), len = le(b + x + 2, 2);
      uint64_t q = x + 4, qend = std::min(q + len, p + kCentralSize + name_len + extra_len);
      if (id == 1) {
        for (uint64_t* field : {&e.size, &e.compressed_size, &e.local_header_offset}) {
          if (*field == 0xffffffff) {
            LB_CHECK(q + 8 <= qend, path_, ": entry '", e.name, "': zip64 extra field too short");
            *field = le(b + q, 8);
            q += 8;
          }
        }
      }
      x += 4 + len;
    }
    entries_.push_back(std::move(e));
    p = rec_end;
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<char> ZipReader::read(const ZipEntry& e) const {
  const uint64_t size = bytes_.size();
  const char* b = bytes_.data();
  uint64_t h = e.local_header_offset;
  LB_CHECK(h <= size && kLocalSize <= size - h && le(b + h, 4) == kLocalSig, path_, ": entry '",
           e.name, "': no local header at bytes [", h, ", ", h + kLocalSize, ") of ", size,
           " (the file is truncated or corrupt)");
  uint64_t data = h + kLocalSize + le(b + h + 26, 2) + le(b + h + 28, 2);
  LB_CHECK(data <= size && e.compressed_size <= size - data, path_, ": entry '", e.name,
           "': data at bytes [", data, ", ", data + e.compressed_size,
           ") runs past the end of the file (", size, " bytes): the file is truncated");
  std::vector<char> out(e.size);
  if (e.method == 0) {
    LB_CHECK(e.compressed_size == e.size, path_, ": stored entry '", e.name,
             "' has compressed size ", e.compressed_size, " != size ", e.size);
    if (e.size) std::memcpy(out.data(), b + data, e.size);
  } else if (e.method == 8) {
    z_stream z{};
    LB_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, path_, ": zlib inflateInit2 failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b + data));
    z.avail_in = static_cast<uInt>(e.compressed_size);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(e.size);
    int rc = inflate(&z, Z_FINISH);
    uint64_t got = z.total_out;
    inflateEnd(&z);
    LB_CHECK(rc == Z_STREAM_END && got == e.size, path_, ": entry '", e.name,
             "': deflate data at bytes [", data, ", ", data + e.compressed_size, ") is corrupt");
  } else {
    LB_FAIL(path_, ": entry '", e.name, "' uses zip compression method ", e.method,
            " (only stored and deflate are supported)");
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t off = 0; off < e.size;) {  // crc32 takes a uInt length
    uInt n = static_cast<uInt>(std::min<uint64_t>(e.size - off, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), n);
    off += n;
  }
  LB_CHECK(crc == e.crc32, path_, ": entry '", e.name, "' at bytes [", data, ", ",
           data + e.compressed_size, ") fails its CRC-32 check (the file is corrupt)");
  return out;
}

}  // namespace lowbit
