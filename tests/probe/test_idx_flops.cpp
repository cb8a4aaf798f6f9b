// The IDX reader on the real Fashion-MNIST files (Debian dataset-fashion-mnist) and on crafted good and bad
// files, and the layer-by-layer FLOP counts of the AI probes' networks against hand-computed values.
// Torch-free: runs in every build, also under the sanitizers.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/flops.hpp"
#include "aicq/probe/idx.hpp"
#include "support.hpp"

namespace aicq::probe {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string write(const std::string& name, const Bytes& b) {
  const auto p = test::scratch("idx") / name;
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return p.string();
}

// A 2 × 3 uint8 IDX file: magic 00 00 08 02, sizes 2 and 3 (big-endian), six data bytes.
Bytes idx_2x3() { return {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 10, 11, 12, 13, 14, 15}; }

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as the gzip trailer needs it.
std::uint32_t crc32(const Bytes& b) {
  std::uint32_t c = 0xffffffffU;
  for (const std::uint8_t byte : b) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1U)));
  }
  return c ^ 0xffffffffU;
}

void le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A gzip member (RFC 1952) holding `payload` in one stored deflate block (RFC 1951 §3.2.4), built by hand so
// that the test does not use the library it checks: header 1f 8b 08 (deflate) 00 (no flags) mtime 0, xfl 0,
// OS ff; block header 01 (final, stored), LEN and its complement little-endian; CRC-32 and size trailer.
Bytes gzip_stored(const Bytes& payload) {
  Bytes g{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1};
  const auto len = static_cast<std::uint16_t>(payload.size());
  const auto nlen = static_cast<std::uint16_t>(~len);
  g.push_back(static_cast<std::uint8_t>(len & 0xff));
  g.push_back(static_cast<std::uint8_t>(len >> 8));
  g.push_back(static_cast<std::uint8_t>(nlen & 0xff));
  g.push_back(static_cast<std::uint8_t>(nlen >> 8));
  g.insert(g.end(), payload.begin(), payload.end());
  le32(g, crc32(payload));
  le32(g, static_cast<std::uint32_t>(payload.size()));
  return g;
}

// The message of the InputError that reading `path` throws ("" when none is thrown).
std::string input_error(const std::string& path) {
  try {
    read_idx(path);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Idx, PlainAndGzippedFilesDecodeAlike) {
  for (const auto& [name, bytes] : {std::pair{"plain.idx", idx_2x3()}, std::pair{"packed.idx.gz", gzip_stored(idx_2x3())}}) {
    const IdxArray a = read_idx(write(name, bytes));
    EXPECT_EQ(a.dims, (std::vector<std::size_t>{2, 3})) << name;
    EXPECT_EQ(a.data, (Bytes{10, 11, 12, 13, 14, 15})) << name;
  }
}

TEST(Idx, BadFilesNameTheFileAndTheByteOffset) {
  Bytes magic = idx_2x3();
  magic[0] = 1;
  const std::string bad_magic = write("bad-magic.idx", magic);
  std::string e = input_error(bad_magic);
  EXPECT_NE(e.find(bad_magic), std::string::npos) << e;
  EXPECT_NE(e.find("byte 0: expected IDX magic 00 00 <type> <dims>, found 01 00 08 02"), std::string::npos) << e;

  Bytes type = idx_2x3();
  type[2] = 0x0d;  // float32: valid IDX, but not what Fashion-MNIST uses
  e = input_error(write("float.idx", type));
  EXPECT_NE(e.find("byte 2: unsupported element type 0x0d"), std::string::npos) << e;

  // Header 12 bytes (4 magic + 2 × 4 sizes) + 6 data bytes = 18; cut after 16: the data ends at byte 16.
  Bytes cut = idx_2x3();
  cut.resize(16);
  const std::string truncated = write("truncated.idx", cut);
  e = input_error(truncated);
  EXPECT_NE(e.find(truncated), std::string::npos) << e;
  EXPECT_NE(e.find("byte 16: truncated data: dimensions 2×3 need 6 data bytes after the 12-byte header, found 4"),
            std::string::npos)
      << e;

  // Cut inside the sizes: 3 dimensions need 4 + 3 × 4 = 16 header bytes; the file has 8.
  e = input_error(write("short-header.idx", {0, 0, 8, 3, 0, 0, 0, 1}));
  EXPECT_NE(e.find("byte 8: truncated header: 3 dimensions need 16 header bytes, the file has 8"), std::string::npos)
      << e;

  // Three bytes past the 18 the dimensions describe: they start at byte 18.
  Bytes longer = idx_2x3();
  longer.insert(longer.end(), {1, 2, 3});
  e = input_error(write("trailing.idx", longer));
  EXPECT_NE(e.find("byte 18: 3 trailing bytes after the 6 data bytes of dimensions 2×3"), std::string::npos) << e;

  // The same truncation inside a gzip stream: the offset is of the decompressed stream.
  e = input_error(write("truncated-inside.idx.gz", gzip_stored(cut)));
  EXPECT_NE(e.find("byte 16: truncated data"), std::string::npos) << e;

  // A gzip stream cut short (header + 10 bytes of the block): zlib runs out of input.
  Bytes gz = gzip_stored(idx_2x3());
  gz.resize(21);
  e = input_error(write("cut.idx.gz", gz));
  EXPECT_NE(e.find("truncated gzip stream: compressed data ends at byte 21"), std::string::npos) << e;

  // A flipped CRC: zlib's check fails.
  gz = gzip_stored(idx_2x3());
  gz[gz.size() - 8] ^= 0xff;
  e = input_error(write("crc.idx.gz", gz));
  EXPECT_NE(e.find("corrupt gzip stream"), std::string::npos) << e;
  EXPECT_NE(e.find("incorrect data check"), std::string::npos) << e;

  const std::string missing = (test::scratch("idx") / "absent.idx").string();
  e = input_error(missing);
  EXPECT_NE(e.find(missing + ": no such file"), std::string::npos) << e;
}

// A tiny dataset in the Fashion-MNIST layout (plain files, without .gz): 2 training and 1 test image of 2 × 2.
std::string tiny_dataset(const std::string& name, const Bytes& train_labels) {
  const auto dir = test::scratch("idx") / name;
  std::filesystem::create_directories(dir);
  const Bytes train_images{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
  const Bytes test_images{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 9, 8, 7, 6};
  Bytes labels{0, 0, 8, 1, 0, 0, 0, static_cast<std::uint8_t>(train_labels.size())};
  labels.insert(labels.end(), train_labels.begin(), train_labels.end());
  write(name + "/train-images-idx3-ubyte", train_images);
  write(name + "/train-labels-idx1-ubyte", labels);
  write(name + "/t10k-images-idx3-ubyte", test_images);
  write(name + "/t10k-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 1, 4});
  return dir.string();
}

std::string load_error(const std::string& dir) {
  try {
    load_fashion_mnist(dir);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Idx, DatasetLayoutIsChecked) {
  const FashionMnist f = load_fashion_mnist(tiny_dataset("good", {3, 9}));
  EXPECT_EQ(f.train.count, 2u);
  EXPECT_EQ(f.train.rows, 2u);
  EXPECT_EQ(f.train.cols, 2u);
  EXPECT_EQ(f.train.pixels, (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(f.train.labels, (Bytes{3, 9}));
  EXPECT_EQ(f.test.count, 1u);
  EXPECT_EQ(f.test.labels, (Bytes{4}));

  std::string e = load_error(tiny_dataset("count", {3, 9, 1}));
  EXPECT_NE(e.find("train-labels-idx1-ubyte"), std::string::npos) << e;
  EXPECT_NE(e.find("expected 2 labels"), std::string::npos) << e;
  // Label 1 of the file is at byte 8 (header) + 1.
  e = load_error(tiny_dataset("label", {3, 10}));
  EXPECT_NE(e.find("byte 9: label 1 is 10, expected 0–9"), std::string::npos) << e;

  const std::string empty = (test::scratch("idx") / "empty").string();
  std::filesystem::create_directories(empty);
  e = load_error(empty);
  EXPECT_NE(e.find("dataset-fashion-mnist"), std::string::npos) << e;
  e = load_error(empty + "/absent");
  EXPECT_NE(e.find("dataset-fashion-mnist"), std::string::npos) << e;
}

TEST(Idx, DatasetFolderFromTheEnvironment) {
  const char* before = std::getenv("AICQ_FASHION_MNIST_DIR");
  const std::string saved = before ? before : "";
  ::unsetenv("AICQ_FASHION_MNIST_DIR");
  EXPECT_EQ(fashion_mnist_dir(), "/usr/share/datasets/fashion-mnist");
  ::setenv("AICQ_FASHION_MNIST_DIR", "/data/fm", 1);
  EXPECT_EQ(fashion_mnist_dir(), "/data/fm");
  if (before)
    ::setenv("AICQ_FASHION_MNIST_DIR", saved.c_str(), 1);
  else
    ::unsetenv("AICQ_FASHION_MNIST_DIR");
}

// The real files of Debian's dataset-fashion-mnist (0.0~git20200523.55506a9-1). Expected values were read with
// /usr/bin/python3: gzip.open(f).read(), header bytes [:16] (images) or [:8] (labels), then the data:
//   train labels [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, …], last 5; test labels [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, …], last 5;
//   training image 0: pixel sum 76 247, 433 non-zero pixels, first non-zero at index 96 (value 1), row 14 =
//   0 0 1 4 6 7 2 0 0 0 0 0 237 226 217 223 222 219 222 221 216 223 229 215 218 255 77 0; test image 0: sum 33 456.
// Label 9 is "Ankle boot": the first training image of Fashion-MNIST is the ankle boot of its README.
TEST(Idx, RealFashionMnistDecodes) {
  const FashionMnist f = load_fashion_mnist(fashion_mnist_dir());
  EXPECT_EQ(f.train.count, 60000u);
  EXPECT_EQ(f.test.count, 10000u);
  EXPECT_EQ(f.train.rows, 28u);
  EXPECT_EQ(f.train.cols, 28u);
  EXPECT_EQ(f.test.rows, 28u);
  EXPECT_EQ(f.test.cols, 28u);
  ASSERT_EQ(f.train.pixels.size(), 60000u * 28 * 28);
  ASSERT_EQ(f.test.pixels.size(), 10000u * 28 * 28);
  ASSERT_EQ(f.train.labels.size(), 60000u);
  ASSERT_EQ(f.test.labels.size(), 10000u);

  EXPECT_EQ(f.train.labels[0], 9);
  EXPECT_EQ(fashion_mnist_classes().at(f.train.labels[0]), "Ankle boot");
  EXPECT_EQ(Bytes(f.train.labels.begin(), f.train.labels.begin() + 10), (Bytes{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(f.train.labels.back(), 5);
  EXPECT_EQ(Bytes(f.test.labels.begin(), f.test.labels.begin() + 10), (Bytes{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
  EXPECT_EQ(f.test.labels.back(), 5);

  long sum = 0, nonzero = 0;
  for (std::size_t i = 0; i < 784; ++i) {
    sum += f.train.pixels[i];
    nonzero += f.train.pixels[i] != 0;
  }
  EXPECT_EQ(sum, 76247);
  EXPECT_EQ(nonzero, 433);
  EXPECT_EQ(f.train.pixels[95], 0);
  EXPECT_EQ(f.train.pixels[96], 1);
  const Bytes row14{0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77, 0};
  EXPECT_EQ(Bytes(f.train.pixels.begin() + 14 * 28, f.train.pixels.begin() + 15 * 28), row14);
  long test_sum = 0;
  for (std::size_t i = 0; i < 784; ++i) test_sum += f.test.pixels[i];
  EXPECT_EQ(test_sum, 33456);

  // Balanced classes: 6 000 training images each.
  std::array<int, 10> per_class{};
  for (const auto l : f.train.labels) ++per_class[l];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[static_cast<std::size_t>(c)], 6000) << "class " << c;
  EXPECT_EQ(fashion_mnist_classes().size(), 10u);
}

const LayerFlops& layer(const FlopCount& c, const std::string& name) {
  for (const auto& l : c.layers)
    if (l.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

// Default CnnShape (32, 64 channels, 3×3, hidden 128, 28×28 images, 10 classes). MAC = multiply-add = 2 FLOP.
//   conv1: 28·28 outputs × 32 channels × (1·3·3) = 225 792 MAC → 451 584 FLOP; params 32·9 + 32 = 320;
//          backward = weight gradient only (first layer) = 451 584.
//   conv2: 14·14 × 64 × (32·3·3 = 288) = 3 612 672 MAC → 7 225 344 FLOP; params 64·288 + 64 = 18 496;
//          backward 2 × 7 225 344 = 14 450 688.
//   fc1:   64·7·7 = 3 136 inputs × 128 = 401 408 MAC → 802 816 FLOP; params 401 408 + 128 = 401 536;
//          backward 1 605 632.
//   fc2:   128 × 10 = 1 280 MAC → 2 560 FLOP; params 1 290; backward 5 120.
//   forward 451 584 + 7 225 344 + 802 816 + 2 560 = 8 482 304; backward 451 584 + 14 450 688 + 1 605 632 +
//   5 120 = 16 513 024; training 24 995 328 FLOP per sample; parameters 421 642.
TEST(Flops, CnnLayersEqualHandCounts) {
  const FlopCount c = count_cnn(CnnShape{});
  ASSERT_EQ(c.layers.size(), 4u);
  EXPECT_EQ(c.layers[0].name, "conv1");
  EXPECT_EQ(c.layers[3].name, "fc2");
  EXPECT_EQ(layer(c, "conv1").shape, "1→32, 3×3, 28×28 out");
  EXPECT_DOUBLE_EQ(layer(c, "conv1").forward, 451584);
  EXPECT_DOUBLE_EQ(layer(c, "conv1").backward, 451584);
  EXPECT_DOUBLE_EQ(layer(c, "conv1").parameters, 320);
  EXPECT_DOUBLE_EQ(layer(c, "conv2").forward, 7225344);
  EXPECT_DOUBLE_EQ(layer(c, "conv2").backward, 14450688);
  EXPECT_DOUBLE_EQ(layer(c, "conv2").parameters, 18496);
  EXPECT_DOUBLE_EQ(layer(c, "fc1").forward, 802816);
  EXPECT_DOUBLE_EQ(layer(c, "fc1").backward, 1605632);
  EXPECT_DOUBLE_EQ(layer(c, "fc1").parameters, 401536);
  EXPECT_DOUBLE_EQ(layer(c, "fc2").forward, 2560);
  EXPECT_DOUBLE_EQ(layer(c, "fc2").backward, 5120);
  EXPECT_DOUBLE_EQ(layer(c, "fc2").parameters, 1290);
  EXPECT_DOUBLE_EQ(c.forward(), 8482304);
  EXPECT_DOUBLE_EQ(c.training(), 24995328);
  EXPECT_DOUBLE_EQ(c.parameters(), 421642);
}

// A smaller CNN: 1→4→8 channels, 5×5 kernels, 12×12 images, hidden 16, 3 classes.
//   conv1: 12·12 × 4 × 25 = 14 400 MAC → 28 800 FLOP (backward 28 800); params 4·25 + 4 = 104.
//   conv2: 6·6 × 8 × (4·25 = 100) = 28 800 MAC → 57 600 FLOP (backward 115 200); params 800 + 8 = 808.
//   fc1: 8·3·3 = 72 × 16 = 1 152 MAC → 2 304 (backward 4 608); params 1 168. fc2: 16 × 3 = 48 MAC → 96 (192); 51.
//   forward 88 800, training 88 800 + 148 800 = 237 600.
TEST(Flops, CnnCountFollowsTheShape) {
  const FlopCount c = count_cnn(CnnShape{4, 8, 5, 16, 12, 3});
  EXPECT_DOUBLE_EQ(layer(c, "conv1").forward, 28800);
  EXPECT_DOUBLE_EQ(layer(c, "conv2").forward, 57600);
  EXPECT_DOUBLE_EQ(layer(c, "conv2").backward, 115200);
  EXPECT_DOUBLE_EQ(layer(c, "fc1").forward, 2304);
  EXPECT_DOUBLE_EQ(layer(c, "fc2").forward, 96);
  EXPECT_DOUBLE_EQ(c.forward(), 88800);
  EXPECT_DOUBLE_EQ(c.training(), 237600);
  EXPECT_DOUBLE_EQ(c.parameters(), 104 + 808 + 1168 + 51);
}

// EncoderShape d = 8, 2 heads, feed-forward 16, T = 4 tokens; per sequence:
//   qkv:     T · 3d² = 4 · 192 = 768 MAC → 1 536 FLOP, backward 1 536 (first: no input gradient); params 3·64 + 24 = 216
//   scores:  T² · d = 16 · 8 = 128 MAC → 256, backward 512; context likewise; no parameters
//   out:     T · d² = 256 MAC → 512, backward 1 024; params 64 + 8 = 72
//   ff1:     T · d · ff = 4 · 8 · 16 = 512 MAC → 1 024, backward 2 048; params 128 + 16 = 144
//   ff2:     512 MAC → 1 024, backward 2 048; params 128 + 8 = 136; two layer norms 2·8 = 16 parameters each
//   forward 1 536 + 256 + 256 + 512 + 1 024 + 1 024 = 4 608 = 2 · T · (4d² + 2Td + 2d·ff) = 2 · 4 · 576 ✓
//   backward 1 536 + 512 + 512 + 1 024 + 2 048 + 2 048 = 7 680; parameters 600 (as torch's
//   TransformerEncoderLayer(8, 2, 16): in_proj 216, out_proj 72, linear1 144, linear2 136, norms 16 + 16).
TEST(Flops, EncoderLayersEqualHandCounts) {
  const FlopCount c = count_encoder(EncoderShape{8, 2, 16, 4});
  EXPECT_DOUBLE_EQ(layer(c, "attention.qkv").forward, 1536);
  EXPECT_DOUBLE_EQ(layer(c, "attention.qkv").backward, 1536);
  EXPECT_DOUBLE_EQ(layer(c, "attention.qkv").parameters, 216);
  EXPECT_DOUBLE_EQ(layer(c, "attention.scores").forward, 256);
  EXPECT_DOUBLE_EQ(layer(c, "attention.scores").backward, 512);
  EXPECT_DOUBLE_EQ(layer(c, "attention.context").forward, 256);
  EXPECT_DOUBLE_EQ(layer(c, "attention.out").forward, 512);
  EXPECT_DOUBLE_EQ(layer(c, "attention.out").parameters, 72);
  EXPECT_DOUBLE_EQ(layer(c, "ff1").forward, 1024);
  EXPECT_DOUBLE_EQ(layer(c, "ff1").parameters, 144);
  EXPECT_DOUBLE_EQ(layer(c, "ff2").forward, 1024);
  EXPECT_DOUBLE_EQ(layer(c, "ff2").backward, 2048);
  EXPECT_DOUBLE_EQ(layer(c, "ff2").parameters, 136);
  EXPECT_DOUBLE_EQ(layer(c, "norm1").forward, 0);
  EXPECT_DOUBLE_EQ(layer(c, "norm2").parameters, 16);
  EXPECT_DOUBLE_EQ(c.forward(), 4608);
  EXPECT_DOUBLE_EQ(c.training(), 4608 + 7680);
  EXPECT_DOUBLE_EQ(c.parameters(), 600);
}

}  // namespace
}  // namespace aicq::probe
