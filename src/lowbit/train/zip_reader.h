// Read-only zip archive access, enough for torch.save files (pytorch_model.bin): the central
// directory, stored and deflated entries, zip64 sizes, CRC-32 checked on every read.
//
// Layout read (all little-endian; APPNOTE 4.3):
//   [local header 30 B + name + extra][data] ... per entry
//   [central directory: one 46 B record + name + extra + comment per entry]
//   [zip64 end record 56 B][zip64 locator 20 B]   (only when a count or offset needs 64 bits)
//   [end of central directory 22 B + comment]     (found by scanning back from the end)
// An entry's data starts after its *local* header, whose extra field may differ from the
// central one (torch pads it so tensor data is 64-byte aligned).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0, size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // Reads the whole file and its central directory; throws lowbit::Error naming the path and
  // the byte range at fault when the archive is truncated or malformed.
  explicit ZipReader(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when there is no entry of that name.
  const ZipEntry* find(const std::string& name) const;
  // The entry's uncompressed bytes, bounds- and CRC-checked.
  std::vector<char> read(const ZipEntry& e) const;

 private:
  void read_central_directory();

  std::string path_;
  std::vector<char> bytes_;
  std::vector<ZipEntry> entries_;
};

// True when the file starts with a zip local-header signature ("PK\3\4").
bool is_zip_file(const std::string& path);

}  // namespace lowbit
