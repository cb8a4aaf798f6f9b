// The Fashion-MNIST CNN, its data, its training loop and the checkpoint format (see ai_model.hpp).
#include "aicq/probe/ai_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <mutex>
#include <sstream>

#include "aicq/core/atomic_file.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/idx.hpp"

namespace aicq::probe::ai {

namespace {

// SplitMix64 (Steele, Lea, Flood 2014): the batch order is drawn with it rather than with torch's generator
// or std::shuffle, so that it depends on (seed, epoch) alone — not on the libtorch version, the standard
// library or any global random state the model's initialisation consumed.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Fisher–Yates permutation of 0…n-1 for epoch `epoch` of a run seeded with `seed`.
torch::Tensor epoch_order(std::uint64_t seed, std::int64_t epoch, std::int64_t n) {
  std::uint64_t state = seed ^ (0xa1c9'0000'0000'0000ULL + static_cast<std::uint64_t>(epoch) * 0x2545f4914f6cdd1dULL);
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) {
    // 64 random bits modulo i+1: the bias, below (i+1)/2⁶⁴ < 10⁻¹⁴ here, is irrelevant.
    const auto j = static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return torch::tensor(p, torch::kInt64);
}

// uint8 images → float32 [N,1,rows,cols] in [0,1].
torch::Tensor to_float(const ImageSet& s) {
  const auto n = static_cast<std::int64_t>(s.count), r = static_cast<std::int64_t>(s.rows),
             c = static_cast<std::int64_t>(s.cols);
  // from_blob does not copy and does not own: clone before the vector goes away.
  auto* base = const_cast<std::uint8_t*>(s.pixels.data());  // NOLINT: from_blob takes void*, we never write
  return torch::from_blob(base, {n, 1, r, c}, torch::kUInt8).to(torch::kFloat32).div_(255.0);
}

torch::Tensor to_labels(const ImageSet& s) {
  auto* base = const_cast<std::uint8_t*>(s.labels.data());  // NOLINT: see to_float
  return torch::from_blob(base, {static_cast<std::int64_t>(s.count)}, torch::kUInt8).to(torch::kInt64);
}

std::mutex& data_mutex() {
  static std::mutex m;
  return m;
}

std::mutex& trained_mutex() {
  static std::mutex m;
  return m;
}
std::shared_ptr<const TrainedModel>& trained_slot() {
  static std::shared_ptr<const TrainedModel> m;
  return m;
}

// The first line of a c10::Error's message (the rest is a C++ backtrace).
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

FashionCnnImpl::FashionCnnImpl(const CnnShape& s) : shape(s) {
  const int pad = s.kernel / 2;  // "same" padding for odd kernels
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, s.channels1, s.kernel).padding(pad)));
  conv2 = register_module("conv2",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(s.channels1, s.channels2, s.kernel).padding(pad)));
  const int side = s.image / 4;
  fc1 = register_module("fc1", torch::nn::Linear(s.channels2 * side * side, s.hidden));
  fc2 = register_module("fc2", torch::nn::Linear(s.hidden, s.classes));
}

torch::Tensor FashionCnnImpl::forward(torch::Tensor x) {
  x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
  x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
  x = torch::relu(fc1->forward(x.flatten(1)));
  return fc2->forward(x);
}

std::shared_ptr<const Data> fashion_mnist() {
  static std::shared_ptr<const Data> cached;
  const std::lock_guard lock(data_mutex());
  if (cached) return cached;
  const FashionMnist f = load_fashion_mnist(fashion_mnist_dir());
  auto d = std::make_shared<Data>();
  d->dir = f.dir;
  torch::Tensor train = to_float(f.train), test = to_float(f.test);
  // Normalised with the training set's statistics only (the test set must not inform preprocessing):
  // for Fashion-MNIST mean ≈ 0.286, standard deviation ≈ 0.353. They are computed exactly from a histogram
  // of the byte values rather than with a torch reduction, whose rounding depends on the thread count: a
  // worker process with other threads must see bit-identical inputs (resilience.recovery compares losses).
  std::array<double, 256> histogram{};
  for (const std::uint8_t v : f.train.pixels) histogram[v] += 1;
  double n = 0, sum = 0;
  for (std::size_t v = 0; v < 256; ++v) {
    n += histogram[v];
    sum += histogram[v] * static_cast<double>(v) / 255.0;
  }
  const double mean = sum / n;
  double squares = 0;
  for (std::size_t v = 0; v < 256; ++v) {
    const double dv = static_cast<double>(v) / 255.0 - mean;
    squares += histogram[v] * dv * dv;
  }
  const double sd = std::sqrt(squares / (n - 1));  // sample standard deviation, as torch's std()
  d->mean = mean;
  d->sd = sd;
  d->train_x = train.sub_(mean).div_(sd);
  d->test_x = test.sub_(mean).div_(sd);
  d->train_y = to_labels(f.train);
  d->test_y = to_labels(f.test);
  cached = std::move(d);
  return cached;
}

Trainer::Trainer(const TrainSettings& settings, std::shared_ptr<const Data> data)
    : settings_(settings), data_(std::move(data)) {
  if (!data_) throw core::WorkError("Trainer: no data");
  if (settings_.batch < 1) throw core::WorkError(fmt::format("Trainer: batch must be ≥ 1, found {}", settings_.batch));
  if (settings_.threads > 0) torch::set_num_threads(settings_.threads);
  torch::manual_seed(settings_.seed);
  model_ = FashionCnn(settings_.shape);
  optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                                    torch::optim::AdamOptions(settings_.learning_rate));
}

std::int64_t Trainer::steps_per_epoch() const {
  // Every batch is full: the last incomplete one of an epoch is left out (its images are in other epochs'
  // batches, since every epoch has its own order).
  return std::max<std::int64_t>(1, data_->train_x.size(0) / settings_.batch);
}

double Trainer::step() {
  const std::int64_t per_epoch = steps_per_epoch();
  const std::int64_t epoch = steps_ / per_epoch;
  if (epoch != order_epoch_) {
    order_ = epoch_order(settings_.seed, epoch, data_->train_x.size(0));
    order_epoch_ = epoch;
  }
  const std::int64_t b = steps_ % per_epoch;
  const torch::Tensor idx = order_.slice(0, b * settings_.batch, (b + 1) * settings_.batch);
  const torch::Tensor x = data_->train_x.index_select(0, idx), y = data_->train_y.index_select(0, idx);
  model_->train();
  optimizer_->zero_grad();
  torch::Tensor loss = torch::nn::functional::cross_entropy(model_->forward(x), y);
  loss.backward();
  optimizer_->step();
  ++steps_;
  return loss.item<double>();
}

double Trainer::evaluate(const torch::Tensor& x, const torch::Tensor& y, int batch) {
  const torch::NoGradGuard no_grad;
  model_->eval();
  const std::int64_t n = x.size(0), b = std::max(1, batch);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; i += b) {
    const std::int64_t end = std::min(n, i + b);
    const torch::Tensor pred = model_->forward(x.slice(0, i, end)).argmax(1);
    correct += pred.eq(y.slice(0, i, end)).sum().item<std::int64_t>();
  }
  model_->train();
  return n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

double Trainer::test_accuracy() { return evaluate(data_->test_x, data_->test_y); }

std::uint64_t Trainer::save(const std::string& path) const {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model_->save(model_archive);
  optimizer_->save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("steps", torch::tensor(steps_, torch::kInt64));
  archive.write("seed", torch::tensor(static_cast<std::int64_t>(settings_.seed), torch::kInt64));
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string content = std::move(bytes).str();
  core::write_file_atomic(path, content);  // temporary file, fsync, rename
  return content.size();
}

void Trainer::load(const std::string& path) {
  try {
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(path);
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    torch::Tensor steps, seed;
    archive.read("steps", steps);
    archive.read("seed", seed);
    if (static_cast<std::uint64_t>(seed.item<std::int64_t>()) != settings_.seed)
      throw core::InputError(core::Location{path}, "seed",
                             fmt::format("expected a checkpoint of a run with seed {}, found seed {}", settings_.seed,
                                         seed.item<std::int64_t>()));
    model_->load(model_archive);
    optimizer_->load(optimizer_archive);
    steps_ = steps.item<std::int64_t>();
    order_epoch_ = -1;  // the order is redrawn from (seed, epoch) at the next step
  } catch (const c10::Error& e) {
    throw core::InputError(core::Location{path}, "",
                           "not a readable aicq training checkpoint: " + first_line(e.what_without_backtrace()));
  }
}

TrainOutcome train_to_target(Trainer& trainer, const Context& ctx) {
  const TrainSettings& s = trainer.settings();
  if (s.threads > 0) torch::set_num_threads(s.threads);
  const std::int64_t per_epoch = trainer.steps_per_epoch();
  // Default: about four evaluations per epoch (937 steps of 64: every 235 steps), so that the time to
  // accuracy overshoots the moment the target is crossed by at most a quarter epoch.
  const std::int64_t every = s.eval_every > 0 ? s.eval_every : std::max<std::int64_t>(1, (per_epoch + 3) / 4);
  const double target = s.target_accuracy;

  TrainOutcome out;
  const auto start = std::chrono::steady_clock::now();
  TrainSegment seg;
  auto evaluate = [&] {
    const auto e0 = std::chrono::steady_clock::now();
    out.accuracy = trainer.test_accuracy();
    seg.eval_s = seconds_since(e0);
    out.evaluations.emplace_back(trainer.steps(), out.accuracy);
    out.segments.push_back(seg);
    seg = TrainSegment{};
  };
  for (;;) {
    if (ctx.cancelled()) throw Cancelled{};
    if (seconds_since(start) >= s.budget_s) {
      // Out of budget: the accuracy stays that of the last evaluation (one is made if none was); the steps
      // since then are kept as a segment without an evaluation.
      if (out.evaluations.empty() && out.steps > 0) {
        evaluate();
      } else if (seg.steps > 0) {
        seg.evaluated = false;
        out.segments.push_back(seg);
      }
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    trainer.step();
    const double dt = seconds_since(t0);
    seg.train_s += dt;
    seg.steps += 1;
    seg.samples += s.batch;
    out.train_time_s += dt;
    out.steps += 1;
    out.samples += s.batch;
    if (out.steps % 50 == 0) {
      // Repetition = the segment under way, out of the segments of one epoch (or more once past it).
      const auto segment = static_cast<int>(out.evaluations.size()) + 1;
      const std::string step = out.evaluations.empty()
                                   ? fmt::format("training to {} (evaluation every {} steps)", target, every)
                                   : fmt::format("training to {} (last evaluation {:.4f} at step {})", target,
                                                 out.accuracy, out.evaluations.back().first);
      ctx.report(Progress{"ai.train", step, segment,
                          std::max(segment, static_cast<int>((per_epoch + every - 1) / every)), seconds_since(start), 0});
    }
    if (out.steps % every != 0) continue;
    evaluate();
    if (out.accuracy >= target) {
      out.reached = true;
      out.time_to_accuracy_s = seconds_since(start);
      break;
    }
  }
  out.eval_every = every;
  out.wall_s = seconds_since(start);
  return out;
}

void keep_trained(std::shared_ptr<const TrainedModel> m) {
  const std::lock_guard lock(trained_mutex());
  trained_slot() = std::move(m);
}

std::shared_ptr<const TrainedModel> last_trained() {
  const std::lock_guard lock(trained_mutex());
  return trained_slot();
}

}  // namespace aicq::probe::ai
