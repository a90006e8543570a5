// IDX reader (through zlib's gzread, which passes plain files through) and the Fashion-MNIST
// loader: checks every header field and size so a damaged file fails with its name and offset.
#include "lowbit/data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "lowbit/core/error.h"
#include "lowbit/core/parallel.h"

namespace lowbit {

namespace {

const char* idx_type_name(uint8_t t) {
  switch (t) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "unknown";
  }
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads up to n bytes; returns how many came (fewer only at the end of the stream).
size_t gz_read(gzFile f, uint8_t* dst, size_t n, const std::string& path, size_t offset) {
  size_t got = 0;
  while (got < n) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
    int r = gzread(f, dst + got, chunk);
    if (r < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      LB_FAIL("[idx] ", path, ": cannot read at byte ", offset + got, " (", msg,
              "): the file is damaged; reinstall it");
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

std::string find_file(const std::string& dir, const std::string& stem) {
  for (const std::string& p : {dir + "/" + stem + ".gz", dir + "/" + stem})
    if (std::filesystem::is_regular_file(p)) return p;
  LB_FAIL("[fashion-mnist] neither ", dir, "/", stem, ".gz nor ", dir, "/", stem,
          " exists: install the Debian package dataset-fashion-mnist (apt-get install "
          "dataset-fashion-mnist), or set data.dir to a folder with the IDX files");
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  LB_CHECK(std::filesystem::is_regular_file(path), "[idx] ", path, " does not exist");
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  LB_CHECK(f, "[idx] cannot open ", path);
  uint8_t head[4];
  size_t got = gz_read(f.get(), head, 4, path, 0);
  LB_CHECK(got == 4, "[idx] ", path, ": ends at byte ", got, ", inside the 4-byte header");
  LB_CHECK(head[0] == 0 && head[1] == 0, "[idx] ", path, ": bad magic at byte 0 (", int(head[0]),
           " ", int(head[1]), ", expected 0 0): not an IDX file");
  IdxArray a;
  a.type = head[2];
  LB_CHECK(a.type == 0x08, "[idx] ", path, ": element type 0x", std::hex, int(a.type), std::dec,
           " (", idx_type_name(a.type), ") at byte 2; only 0x08 (unsigned byte) is supported");
  int ndim = head[3];
  LB_CHECK(ndim >= 1, "[idx] ", path, ": 0 dimensions at byte 3");
  std::vector<uint8_t> dims(4 * ndim);
  got = gz_read(f.get(), dims.data(), dims.size(), path, 4);
  LB_CHECK(got == dims.size(), "[idx] ", path, ": ends at byte ", 4 + got, ", inside the ", ndim,
           " dimension sizes (bytes 4..", 4 + dims.size(), ")");
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const uint8_t* p = &dims[4 * d];
    int64_t size = (int64_t(p[0]) << 24) | (int64_t(p[1]) << 16) | (int64_t(p[2]) << 8) | p[3];
    a.dims.push_back(size);
    count *= static_cast<uint64_t>(size);
    LB_CHECK(count <= (uint64_t(1) << 36), "[idx] ", path, ": dimensions ", shape_str(a.dims),
             "... hold over 2^36 elements: not a plausible IDX file");
  }
  size_t data_at = 4 + dims.size();
  a.data.resize(count);
  got = gz_read(f.get(), a.data.data(), count, path, data_at);
  LB_CHECK(got == count, "[idx] ", path, ": truncated: data ends at byte ", data_at + got,
           ", but dimensions ", shape_str(a.dims), " need ", count, " bytes from byte ", data_at,
           " (to byte ", data_at + count, ")");
  uint8_t extra;
  LB_CHECK(gz_read(f.get(), &extra, 1, path, data_at + count) == 0, "[idx] ", path,
           ": more bytes after the data's end at byte ", data_at + count, " than dimensions ",
           shape_str(a.dims), " account for");
  return a;
}

ImageDataset load_fashion_mnist(const std::string& split, const std::string& dir) {
  LB_CHECK(split == "train" || split == "test", "[fashion-mnist] unknown split \"", split,
           "\": allowed are train, test");
  std::string prefix = split == "train" ? "train" : "t10k";
  std::string image_path = find_file(dir, prefix + "-images-idx3-ubyte");
  std::string label_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  IdxArray img = read_idx(image_path);
  IdxArray lab = read_idx(label_path);
  LB_CHECK(img.dims.size() == 3, "[fashion-mnist] ", image_path, ": dimensions ",
           shape_str(img.dims), ", expected (N, rows, cols)");
  LB_CHECK(lab.dims.size() == 1, "[fashion-mnist] ", label_path, ": dimensions ",
           shape_str(lab.dims), ", expected (N)");
  int64_t n = img.dims[0], h = img.dims[1], w = img.dims[2];
  LB_CHECK(lab.dims[0] == n, "[fashion-mnist] ", image_path, " holds ", n, " images but ",
           label_path, " holds ", lab.dims[0], " labels: the two files are not a pair");
  ImageDataset d;
  for (int64_t i = 0; i < n; ++i)
    LB_CHECK(lab.data[i] < d.classes, "[fashion-mnist] ", label_path, ": label ", int(lab.data[i]),
             " at byte ", 8 + i, " (image ", i, ") is outside 0..", d.classes - 1);
  d.images = Tensor::empty({n, 1, h, w}, DType::f32);
  d.labels = Tensor::empty({n}, DType::i32);
  float* x = d.images.data<float>();
  const uint8_t* src = img.data.data();
  // (v/255 - mean) / std as one multiply-add per pixel.
  const float scale = 1.0f / (255.0f * kFashionMnistStd),
              shift = -kFashionMnistMean / kFashionMnistStd;
  parallel_for(n * h * w, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] = static_cast<float>(src[i]) * scale + shift;
  });
  int32_t* y = d.labels.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) y[i] = lab.data[i];
  return d;
}

}  // namespace lowbit
