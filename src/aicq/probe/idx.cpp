// IDX reader and Fashion-MNIST loader (see idx.hpp).
//
// The whole file is read into memory (the largest Fashion-MNIST file is 47 MB decompressed) and, when it starts
// with gzip's magic 1f 8b, inflated with zlib; offsets in messages are those of the decompressed stream, the
// one the IDX format describes.
#include "aicq/probe/idx.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>

#include "aicq/core/diagnostics.hpp"

namespace aicq::probe {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& message) {
  throw core::InputError(core::Location{path}, "", message);
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) bad(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) bad(path, "expected an IDX file, found a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, fmt::format("cannot open for reading: {}", std::strerror(errno)));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) bad(path, fmt::format("read failed: {}", std::strerror(errno)));
  return bytes;
}

// Inflates a gzip stream (one or more concatenated members, as gzip(1) allows).
std::vector<std::uint8_t> gunzip(const std::string& path, std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out;
  out.reserve(in.size() * 4);
  z_stream z{};
  // 16 + MAX_WBITS: gzip wrapper only (the magic was seen).
  if (const int rc = inflateInit2(&z, 16 + MAX_WBITS); rc != Z_OK)
    throw core::WorkError(fmt::format("zlib inflateInit2 for '{}' failed: code {}", path, rc));
  z.next_in = in.data();
  z.avail_in = static_cast<uInt>(in.size());
  std::uint8_t chunk[1 << 16];
  for (;;) {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof chunk - z.avail_out));
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Another gzip member follows.
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      const auto at = z.total_in;
      inflateEnd(&z);
      bad(path, fmt::format("truncated gzip stream: compressed data ends at byte {} before the end of the stream "
                            "({} bytes decompressed)", at, out.size()));
    }
    const std::string why = z.msg ? z.msg : "code " + std::to_string(rc);
    const auto at = in.size() - z.avail_in;
    inflateEnd(&z);
    bad(path, fmt::format("corrupt gzip stream near compressed byte {}: zlib inflate: {}", at, why));
  }
  inflateEnd(&z);
  return out;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

std::string hex4(const std::uint8_t* p) { return fmt::format("{:02x} {:02x} {:02x} {:02x}", p[0], p[1], p[2], p[3]); }

// Finds `name` or `name`.gz in `dir`.
std::string locate(const std::string& dir, const std::string& name) {
  const auto base = std::filesystem::path(dir) / name;
  std::error_code ec;
  for (const auto& candidate : {base.string() + ".gz", base.string()})
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  throw core::InputError(core::Location{dir}, "",
                         fmt::format("Fashion-MNIST file {}.gz (or {}) not found; install Debian's "
                                     "dataset-fashion-mnist or set AICQ_FASHION_MNIST_DIR",
                                     name, name));
}

ImageSet load_set(const std::string& dir, const std::string& images_name, const std::string& labels_name) {
  const IdxArray images = read_idx(locate(dir, images_name));
  const IdxArray labels = read_idx(locate(dir, labels_name));
  if (images.dims.size() != 3)
    bad(images.path, fmt::format("expected 3 dimensions (count × rows × cols), found {}", images.dims.size()));
  if (labels.dims.size() != 1) bad(labels.path, fmt::format("expected 1 dimension (count), found {}", labels.dims.size()));
  if (images.dims[0] != labels.dims[0])
    bad(labels.path, fmt::format("expected {} labels (the image count of {}), found {}", images.dims[0], images.path,
                                 labels.dims[0]));
  for (std::size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] >= 10)
      bad(labels.path, fmt::format("byte {}: label {} is {}, expected 0–9", 8 + i, i, labels.data[i]));
  ImageSet s;
  s.count = images.dims[0];
  s.rows = images.dims[1];
  s.cols = images.dims[2];
  s.pixels = images.data;
  s.labels = labels.data;
  return s;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> raw = read_all(path);
  std::vector<std::uint8_t> bytes = (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) ? gunzip(path, raw) : std::move(raw);

  if (bytes.size() < 4)
    bad(path, fmt::format("byte {}: truncated header: expected 4 magic bytes, found {}", bytes.size(), bytes.size()));
  if (bytes[0] != 0 || bytes[1] != 0)
    bad(path, fmt::format("byte 0: expected IDX magic 00 00 <type> <dims>, found {}", hex4(bytes.data())));
  if (bytes[2] != 0x08)
    bad(path, fmt::format("byte 2: unsupported element type 0x{:02x}; only 0x08 (unsigned byte) is read", bytes[2]));
  const std::size_t ndims = bytes[3];
  if (ndims == 0) bad(path, "byte 3: expected at least one dimension, found 0");
  const std::size_t header = 4 + 4 * ndims;
  if (bytes.size() < header)
    bad(path, fmt::format("byte {}: truncated header: {} dimensions need {} header bytes, the file has {}",
                          bytes.size(), ndims, header, bytes.size()));
  IdxArray a;
  a.path = path;
  std::size_t count = 1;
  for (std::size_t d = 0; d < ndims; ++d) {
    const std::size_t n = be32(bytes.data() + 4 + 4 * d);
    // 2^40 bytes is far beyond any IDX file; it keeps the product from overflowing.
    if (n != 0 && count > (std::size_t{1} << 40) / n)
      bad(path, fmt::format("byte {}: dimension {} of size {} makes the array implausibly large", 4 + 4 * d, d, n));
    count *= n;
    a.dims.push_back(n);
  }
  const std::size_t expected = header + count;
  if (bytes.size() < expected)
    bad(path, fmt::format("byte {}: truncated data: dimensions {} need {} data bytes after the {}-byte header, found {}",
                          bytes.size(), fmt::join(a.dims, "×"), count, header, bytes.size() - header));
  if (bytes.size() > expected)
    bad(path, fmt::format("byte {}: {} trailing bytes after the {} data bytes of dimensions {}", expected,
                          bytes.size() - expected, count, fmt::join(a.dims, "×")));
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

std::string fashion_mnist_dir() {
  if (const char* d = std::getenv("AICQ_FASHION_MNIST_DIR"); d && *d) return d;
  return "/usr/share/datasets/fashion-mnist";
}

FashionMnist load_fashion_mnist(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw core::InputError(core::Location{dir}, "",
                           "Fashion-MNIST folder not found; install Debian's dataset-fashion-mnist "
                           "(/usr/share/datasets/fashion-mnist) or set AICQ_FASHION_MNIST_DIR");
  FashionMnist f;
  f.dir = dir;
  f.train = load_set(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  f.test = load_set(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
  if (f.train.rows != f.test.rows || f.train.cols != f.test.cols)
    throw core::InputError(core::Location{dir}, "",
                           fmt::format("training images are {}×{}, test images {}×{}: expected the same size",
                                       f.train.rows, f.train.cols, f.test.rows, f.test.cols));
  return f;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace aicq::probe
