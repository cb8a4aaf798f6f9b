// IDX files (LeCun's MNIST format; gzipped or plain) and the Fashion-MNIST dataset of ai.train / ai.infer.
//
// Format: magic 0x00 0x00 type ndims, then ndims big-endian uint32 sizes, then the data (type 0x08 = uint8
// is the only type Fashion-MNIST uses, and the only one read). Debian's `dataset-fashion-mnist` installs the
// four gzipped files under /usr/share/datasets/fashion-mnist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aicq::probe {

struct IdxArray {
  std::string path;
  std::vector<std::size_t> dims;   // e.g. {60000, 28, 28}
  std::vector<std::uint8_t> data;  // row-major, product(dims) bytes
};

/// Reads one IDX file, gzip-compressed (detected by its magic bytes) or not. Throws core::InputError naming
/// the file and the byte offset (of the decompressed stream) on a missing or unreadable file, a bad magic,
/// an unsupported element type, a truncated body or trailing bytes.
IdxArray read_idx(const std::string& path);

/// Images (uint8 pixels, row-major, count × rows × cols) with their labels (0–9).
struct ImageSet {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;
};

struct FashionMnist {
  std::string dir;
  ImageSet train, test;  // 60 000 and 10 000 images of 28 × 28
};

/// $AICQ_FASHION_MNIST_DIR when set, else /usr/share/datasets/fashion-mnist.
std::string fashion_mnist_dir();

/// Reads train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
/// t10k-labels-idx1-ubyte.gz from `dir` (the .gz suffix optional). Checks that images and labels agree in
/// count, that images are 3-dimensional and labels 1-dimensional with values below 10; throws
/// core::InputError naming the file otherwise.
FashionMnist load_fashion_mnist(const std::string& dir);

/// Fashion-MNIST's class names, index = label.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace aicq::probe
