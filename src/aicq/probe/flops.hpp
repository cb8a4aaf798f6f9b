// FLOP counts of the AI probes' networks, layer by layer (methodology §2.4: "exact layer counts for small
// models"). Torch-free, so that the counts are tested in every build.
//
// Convention (the one MFU uses: PaLM, Chowdhery et al. 2022, app. B; MLPerf's MFU tables): one multiply-add is
// 2 FLOP; only the matrix work of convolutions, linear layers and attention products is counted. Element-wise
// work (bias, ReLU, pooling, softmax, normalisation) is left out and is a small share for these networks.
// Backward: a layer's weight gradient costs as much as its forward pass and its input gradient as much again,
// except for the first layer, whose input needs no gradient (autograd does not compute it).
#pragma once

#include <string>
#include <vector>

namespace aicq::probe {

struct LayerFlops {
  std::string name;         // "conv1", "fc2", "attention.qkv", …
  std::string shape;        // human-readable: "1→32, 3×3, 28×28 out"
  double parameters = 0;    // weights + biases
  double forward = 0;       // FLOP per sample (per sequence for the encoder)
  double backward = 0;      // FLOP per sample: weight gradient (+ input gradient unless first layer)
};

struct FlopCount {
  std::vector<LayerFlops> layers;
  double parameters() const;
  double forward() const;    // inference FLOP per sample
  double training() const;   // forward + backward per sample
};

/// The Fashion-MNIST CNN of ai.train / ai.infer: conv(1→c1, k×k, same padding) → ReLU → 2×2 max-pool →
/// conv(c1→c2, k×k, same) → ReLU → 2×2 max-pool → linear(c2·7·7 → hidden) → ReLU → linear(hidden → 10).
struct CnnShape {
  int channels1 = 32, channels2 = 64, kernel = 3, hidden = 128;
  int image = 28, classes = 10;
};
FlopCount count_cnn(const CnnShape& s);

/// One transformer encoder block (post-norm, as torch::nn::TransformerEncoderLayer): QKV and output
/// projections (4·d² MACs per token), attention scores and weighted sum (2·T·d MACs per token), feed-forward
/// (2·d·ff MACs per token). Counts are per sequence of `sequence` tokens.
struct EncoderShape {
  int d_model = 256, heads = 4, feed_forward = 1024, sequence = 128;
};
FlopCount count_encoder(const EncoderShape& s);

}  // namespace aicq::probe
