// FLOP counts (see flops.hpp for the convention: 2 FLOP per multiply-add, matrix work only, backward = weight
// gradient + input gradient, the first layer without an input gradient).
#include "aicq/probe/flops.hpp"

#include <fmt/format.h>

namespace aicq::probe {

namespace {

double d(int v) { return static_cast<double>(v); }

// A layer of `macs` multiply-adds per sample; `first` has no input gradient.
LayerFlops layer(std::string name, std::string shape, double parameters, double macs, bool first) {
  LayerFlops l;
  l.name = std::move(name);
  l.shape = std::move(shape);
  l.parameters = parameters;
  l.forward = 2 * macs;
  l.backward = first ? l.forward : 2 * l.forward;
  return l;
}

}  // namespace

double FlopCount::parameters() const {
  double s = 0;
  for (const auto& l : layers) s += l.parameters;
  return s;
}

double FlopCount::forward() const {
  double s = 0;
  for (const auto& l : layers) s += l.forward;
  return s;
}

double FlopCount::training() const {
  double s = 0;
  for (const auto& l : layers) s += l.forward + l.backward;
  return s;
}

FlopCount count_cnn(const CnnShape& s) {
  const int k2 = s.kernel * s.kernel;
  // "Same" padding keeps the image size through a convolution; each 2×2 max-pool halves it (rounding down,
  // as torch's max_pool2d does).
  const int side1 = s.image, side2 = s.image / 2, side3 = s.image / 4;
  const double flat = d(s.channels2) * d(side3) * d(side3);
  FlopCount c;
  c.layers.push_back(layer("conv1",
                           fmt::format("1→{}, {}×{}, {}×{} out", s.channels1, s.kernel, s.kernel, side1, side1),
                           d(s.channels1) * d(k2) + d(s.channels1),
                           d(side1) * d(side1) * d(s.channels1) * d(k2), true));
  c.layers.push_back(layer("conv2",
                           fmt::format("{}→{}, {}×{}, {}×{} out", s.channels1, s.channels2, s.kernel, s.kernel, side2, side2),
                           d(s.channels2) * d(s.channels1) * d(k2) + d(s.channels2),
                           d(side2) * d(side2) * d(s.channels2) * d(s.channels1) * d(k2), false));
  c.layers.push_back(layer("fc1", fmt::format("{}·{}·{}={} → {}", s.channels2, side3, side3, s.channels2 * side3 * side3, s.hidden),
                           flat * d(s.hidden) + d(s.hidden), flat * d(s.hidden), false));
  c.layers.push_back(layer("fc2", fmt::format("{} → {}", s.hidden, s.classes), d(s.hidden) * d(s.classes) + d(s.classes),
                           d(s.hidden) * d(s.classes), false));
  return c;
}

FlopCount count_encoder(const EncoderShape& s) {
  const double dm = d(s.d_model), t = d(s.sequence), ff = d(s.feed_forward);
  FlopCount c;
  // Per token 3·d² MACs for Q, K and V together; per sequence × T. The encoder's input is the first tensor and
  // needs no gradient.
  c.layers.push_back(layer("attention.qkv", fmt::format("{} → 3·{}, {} tokens", s.d_model, s.d_model, s.sequence),
                           3 * dm * dm + 3 * dm, t * 3 * dm * dm, true));
  // Q·Kᵀ: every head h multiplies T×(d/H) by (d/H)×T: H · T² · d/H = T²·d MACs per sequence (T·d per token).
  c.layers.push_back(layer("attention.scores", fmt::format("Q·Kᵀ, {} heads, {}×{}", s.heads, s.sequence, s.sequence), 0,
                           t * t * dm, false));
  // softmax(scores)·V: T×T by T×(d/H) per head, again T²·d MACs.
  c.layers.push_back(layer("attention.context", fmt::format("softmax·V, {} heads", s.heads), 0, t * t * dm, false));
  c.layers.push_back(
      layer("attention.out", fmt::format("{} → {}", s.d_model, s.d_model), dm * dm + dm, t * dm * dm, false));
  // Layer norms: element-wise (not counted), listed for their parameters (scale and shift).
  c.layers.push_back(layer("norm1", fmt::format("layer norm {}", s.d_model), 2 * dm, 0, false));
  c.layers.push_back(layer("ff1", fmt::format("{} → {}", s.d_model, s.feed_forward), dm * ff + ff, t * dm * ff, false));
  c.layers.push_back(layer("ff2", fmt::format("{} → {}", s.feed_forward, s.d_model), ff * dm + dm, t * ff * dm, false));
  c.layers.push_back(layer("norm2", fmt::format("layer norm {}", s.d_model), 2 * dm, 0, false));
  return c;
}

}  // namespace aicq::probe
