// The Fashion-MNIST CNN, its data and its training loop, with libtorch (Debian libtorch-dev 1.13, CPU).
// Shared by ai.train, ai.infer, resilience.checkpoint and the resilience.recovery worker. Only files of the
// torch library (AICQ_ENABLE_TORCH) include this header.
//
// Determinism: with the same settings and thread count, training is reproducible step by step — weights
// from `seed`, the batch order of epoch e a permutation drawn from (seed, e), so that step s always sees the
// same batch whether the run started at 0 or resumed from a checkpoint at s₀ < s.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aicq/probe/flops.hpp"
#include "aicq/probe/probe.hpp"

namespace aicq::probe::ai {

struct FashionCnnImpl : torch::nn::Module {
  explicit FashionCnnImpl(const CnnShape& s = {});
  torch::Tensor forward(torch::Tensor x);  // [N,1,28,28] float → logits [N,10]
  CnnShape shape;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(FashionCnn);

/// Fashion-MNIST as tensors: images float32 [N,1,28,28], pixels/255 normalised with the training set's mean
/// and standard deviation; labels int64 [N].
struct Data {
  std::string dir;
  torch::Tensor train_x, train_y, test_x, test_y;
  double mean = 0, sd = 1;  // of the training pixels/255, exact (independent of the thread count)
};
/// Reads the dataset from probe::fashion_mnist_dir() once per process (later calls return the same data).
/// Throws core::InputError naming the folder and the Debian package (dataset-fashion-mnist) when absent.
std::shared_ptr<const Data> fashion_mnist();

struct TrainSettings {
  CnnShape shape;
  int batch = 64;
  double learning_rate = 1e-3;  // Adam
  std::uint64_t seed = 0;
  double target_accuracy = 0.85;  // on the full 10 000-image test set
  int eval_every = 0;             // steps between evaluations; 0 = the implementation's default
  int threads = 1;                // torch::set_num_threads
  double budget_s = 120;          // training stops unreached past this
};

/// Model + Adam + step counter.
class Trainer {
 public:
  Trainer(const TrainSettings& settings, std::shared_ptr<const Data> data);
  /// One optimizer step on batch number steps() (see determinism above); returns the batch loss.
  double step();
  std::int64_t steps() const { return steps_; }
  /// Full batches per epoch: floor(60 000 / batch) (937 for 64); the remainder of an epoch's order is left out.
  std::int64_t steps_per_epoch() const;
  /// Top-1 accuracy of the current model on (x, y), evaluated in no-grad mode in batches. The default batch
  /// keeps conv1's output (250 × 32 × 28 × 28 × 4 B = 25 MB) under glibc's largest mmap threshold (32 MiB):
  /// larger batches are mapped and unmapped on every call, and page faults are expensive on the VMs this runs
  /// on (measured: 10 000 images in 1.7 s at 250, 2.7 s at 1000, 2 threads).
  double evaluate(const torch::Tensor& x, const torch::Tensor& y, int batch = 250);
  double test_accuracy();  // on the full test set
  /// Model, optimizer state and step counter with torch::save, written to a temporary file, fsync'd and
  /// renamed over `path` (a kill mid-write leaves the previous checkpoint). Returns the bytes written.
  std::uint64_t save(const std::string& path) const;
  void load(const std::string& path);
  FashionCnn& model() { return model_; }
  const TrainSettings& settings() const { return settings_; }
  const Data& data() const { return *data_; }

 private:
  TrainSettings settings_;
  std::shared_ptr<const Data> data_;
  FashionCnn model_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::int64_t steps_ = 0;
  torch::Tensor order_;  // permutation of the current epoch
  std::int64_t order_epoch_ = -1;
};

/// The training steps between two evaluations (or from the start to the first one).
struct TrainSegment {
  std::int64_t steps = 0, samples = 0;
  double train_s = 0;      // the steps only
  double eval_s = 0;       // the evaluation that ended the segment
  bool evaluated = true;   // false for steps cut off by the budget after the last evaluation
};

struct TrainOutcome {
  bool reached = false;
  double accuracy = 0;                 // at the last evaluation
  std::int64_t steps = 0, samples = 0;
  double time_to_accuracy_s = 0;       // MLPerf: first training step → end of the evaluation that reached the target
  double train_time_s = 0;             // training steps only (evaluations excluded): samples ÷ this = samples/s
  std::vector<std::pair<std::int64_t, double>> evaluations;  // (step, accuracy)
  std::vector<TrainSegment> segments;  // one per evaluation, in order, + a last unevaluated one when cut off
  std::int64_t eval_every = 0;         // steps between evaluations that were used
  double wall_s = 0;                   // the whole call, evaluations included
};

/// Trains until the test accuracy reaches settings.target_accuracy or the budget runs out; reports progress
/// and honours cancellation (throws probe::Cancelled) through `ctx`.
TrainOutcome train_to_target(Trainer& trainer, const Context& ctx);

/// The model ai.infer measures: the one ai.train trained last in this process (kept with keep_trained),
/// or none.
struct TrainedModel {
  TrainSettings settings;
  TrainOutcome outcome;
  FashionCnn model{nullptr};
};
void keep_trained(std::shared_ptr<const TrainedModel> m);
std::shared_ptr<const TrainedModel> last_trained();

}  // namespace aicq::probe::ai
