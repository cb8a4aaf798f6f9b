// ai.infer — inference of the Fashion-MNIST CNN (the one ai.train trained, or one trained here) and of a
// transformer encoder block, with libtorch, as MLPerf Inference's Offline and SingleStream scenarios:
//   offline_fp32        the whole 10 000-image test set in batches of 1000, every pass timed → FLOP/s, samples/s,
//                       and top-1 accuracy on the full test set (the reference accuracy of the variants below);
//   single_stream_fp32  batch 1, one query after another, every latency kept → p50/p90/p99;
//   offline_bf16        model and inputs in bfloat16 (oneDNN kernels) → FLOP/s, accuracy, retention;
//   offline_int8        post-training static INT8 quantisation (QNNPACK): weights per tensor, activations with
//                       scales calibrated on 1000 training images → FLOP/s, accuracy, retention;
//   encoder_fp32        one torch::nn::TransformerEncoderLayer (random weights, fixed seed) → FLOP/s.
// A reduced-precision variant is valid only if it keeps ≥ 99% of the FP32 accuracy (MLPerf's rule for the
// "99%" accuracy class); otherwise it is kept with details.valid = false and the probe is invalid.
//
// FLOP per sample come from flops.hpp (matrix work only, 2 FLOP per multiply-add); in INT8 they are integer
// operations of the same count. The inputs of a variant are converted to its precision once, before the
// clock runs (as MLPerf's untimed preprocessing); the outputs' argmax is inside the timed work.
#include <fmt/format.h>
#include <torch/csrc/jit/runtime/operator.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <new>
#include <optional>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/ai_model.hpp"
#include "aicq/probe/compute.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

namespace {

constexpr const char* kId = "ai.infer";
constexpr const char* kModelName = "Fashion-MNIST CNN";
constexpr const char* kAccuracyMetric = "top-1, 10 000 test images";
constexpr double kRetentionGate = 0.99;            // MLPerf Inference: ≥ 99% of the FP32 reference accuracy
constexpr std::int64_t kOfflineBatch = 1000;       // images per forward call in the Offline scenario
constexpr std::int64_t kCalibrationImages = 1000;  // INT8: the first training images (never test images)
constexpr std::uint64_t kEncoderSeed = 0x5eed'e4c0;

// Single-stream queries and encoder batch by suite (the number of passes comes from compute::plan_for).
struct Sizes {
  int queries = 2000;
  int single_stream_warmups = 20;
  std::int64_t encoder_batch = 32;  // sequences per forward call
};
Sizes sizes_for(const Context& ctx) {
  if (ctx.tiny) return {50, 2, 2};
  switch (ctx.suite) {
    case Suite::quick: return {500, 10, 8};
    case Suite::standard: return {2000, 20, 32};
    case Suite::full: return {10000, 50, 64};
  }
  return {};
}

// torch::set_num_threads for the probe's duration (it also sizes OpenMP and the pthreadpool QNNPACK uses).
class TorchThreads {
 public:
  explicit TorchThreads(int threads) : before_(torch::get_num_threads()) { torch::set_num_threads(std::max(1, threads)); }
  ~TorchThreads() { torch::set_num_threads(before_); }
  TorchThreads(const TorchThreads&) = delete;
  TorchThreads& operator=(const TorchThreads&) = delete;

 private:
  int before_;
};

// The quantised engine for the INT8 variant, restored afterwards (it is process-wide).
class QEngineGuard {
 public:
  explicit QEngineGuard(at::QEngine e) : before_(at::globalContext().qEngine()) { at::globalContext().setQEngine(e); }
  ~QEngineGuard() { at::globalContext().setQEngine(before_); }
  QEngineGuard(const QEngineGuard&) = delete;
  QEngineGuard& operator=(const QEngineGuard&) = delete;

 private:
  at::QEngine before_;
};

// The first line of a c10::Error (the rest is a C++ backtrace).
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// An independent FP32 copy of `src` (weights and buffers), in eval mode: the variants convert their own copy,
// and the model ai.train kept is never modified.
ai::FashionCnn copy_of(const ai::FashionCnn& src) {
  ai::FashionCnn dst(src->shape);
  const torch::NoGradGuard no_grad;
  auto to_params = dst->named_parameters();
  for (const auto& p : src->named_parameters()) to_params[p.key()].copy_(p.value());
  auto to_buffers = dst->named_buffers();
  for (const auto& b : src->named_buffers()) to_buffers[b.key()].copy_(b.value());
  dst->eval();
  return dst;
}

double parameter_count(const torch::nn::Module& m) {
  double n = 0;
  for (const auto& p : m.parameters()) n += static_cast<double>(p.numel());
  return n;
}

void attach_peak(const Context& ctx, Measurement& m) {
  if (const auto it = ctx.peak_flops.find(m.precision); it != ctx.peak_flops.end() && it->second > 0) {
    m.peak = it->second;
    m.peak_source = ctx.peak_source;
  }
}

/// Nearest-rank percentile: the ⌈p·n⌉-th smallest of n values (1-based; p in (0, 1]), always an observed value.
double nearest_rank(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

// ---- Offline scenario ----------------------------------------------------------------------------------------

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

struct OfflineRun {
  std::vector<double> durations_s;  // one full pass over the test set each
  double accuracy = 0;              // top-1 of the last timed pass
  int warmup_batches = 0;
  double estimate_s = 0;            // one pass, extrapolated from the last warm-up batch
};

// Warm-ups of one batch each (what a first call costs — primitive creation, allocation — is paid there; a whole
// pass would add nothing but time), then as many timed passes over all of `x` as fit `share_s` within the
// suite's plan. The predictions of every pass are written to one tensor; the accuracy is that of the last pass.
OfflineRun run_offline(const Context& ctx, const std::string& step, const Forward& forward, const torch::Tensor& x,
                       const torch::Tensor& y, double share_s) {
  const std::int64_t n = x.size(0);
  torch::Tensor predicted = torch::empty({n}, torch::kInt64);
  auto batches = [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; i += kOfflineBatch) {
      const std::int64_t stop = std::min(end, i + kOfflineBatch);
      predicted.slice(0, i, stop).copy_(forward(x.slice(0, i, stop)).argmax(1));
    }
  };
  const auto plan = compute::plan_for(ctx);
  OfflineRun r;
  const std::int64_t first = std::min(n, kOfflineBatch);
  double batch_s = 0;
  for (int w = 0; w < plan.warmups; ++w) batch_s = compute::warm_up(ctx, kId, step, [&] { batches(0, first); });
  r.warmup_batches = plan.warmups;
  r.estimate_s = batch_s * static_cast<double>((n + first - 1) / std::max<std::int64_t>(first, 1));
  const int reps = compute::repetitions_within(plan, share_s, r.estimate_s);
  r.durations_s = time_repetitions(ctx, kId, step, 0, reps, [&] { batches(0, n); }, r.estimate_s * reps);
  const auto correct = predicted.eq(y).sum().item<std::int64_t>();
  r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return r;
}

// The model-workload measurement of the evidence contract (unit FLOP/s, precision, peak, details.model).
Measurement offline_measurement(const Context& ctx, std::string id, std::string precision, double flop_per_sample,
                                double parameters, std::int64_t images, const OfflineRun& run, double reference_accuracy,
                                nlohmann::json details) {
  Measurement m;
  m.id = std::move(id);
  m.precision = std::move(precision);
  m.unit = "FLOP/s";
  m.work = flop_per_sample * static_cast<double>(images);
  m.work_unit = "FLOP";
  m.samples = rates(*m.work, run.durations_s);
  m.stats = statistics(m.samples);
  attach_peak(ctx, m);
  const auto per_s = rates(static_cast<double>(images), run.durations_s);
  details["scenario"] = fmt::format("Offline (MLPerf): all {} test images per pass, batches of {}", images, kOfflineBatch);
  details["images_per_pass"] = images;
  details["batch"] = kOfflineBatch;
  details["samples_per_s"] = per_s;
  details["warmup_batches"] = run.warmup_batches;
  details["model"] = {{"name", kModelName},
                      {"task", "inference"},
                      {"unit", "sample"},
                      {"flop_per_unit", flop_per_sample},
                      {"throughput", statistics(per_s).median},
                      {"accuracy", run.accuracy},
                      {"reference_accuracy", reference_accuracy},
                      {"accuracy_metric", kAccuracyMetric},
                      {"parameters", parameters}};
  m.details = std::move(details);
  return m;
}

// Retention A ÷ A_ref and its gate, written into the measurement and returned as a Check.
Check retention_check(Measurement& m, const std::string& name, double accuracy, double reference) {
  const double retention = reference > 0 ? accuracy / reference : 0.0;
  const bool valid = retention >= kRetentionGate;
  m.details["retention"] = retention;
  m.details["retention_gate"] = kRetentionGate;
  m.details["valid"] = valid;
  const std::string detail = fmt::format("{} top-1 {:.2f}% ÷ FP32 {:.2f}% = {:.4f} {} {}", name, 100 * accuracy,
                                         100 * reference, retention, valid ? "≥" : "<", kRetentionGate);
  if (!valid) m.details["invalid_reason"] = "accuracy retention below MLPerf's 99%: " + detail;
  return {"retention_" + m.precision, valid, detail};
}

// ---- INT8: post-training static quantisation through QNNPACK ------------------------------------------------

// The quantised operators by name (libtorch's C++ frontend has no quantisation API; these are the operators
// torch.ao.quantization converts a module to), through the JIT's operator table, which calls the dispatcher
// inside libtorch.
class QuantizedOp {
 public:
  QuantizedOp(const char* name, const char* overload) : operation_(find(name, overload)) {}
  c10::IValue operator()(torch::jit::Stack stack) const {
    operation_(stack);
    return stack.at(0);
  }

 private:
  static torch::jit::Operation find(const char* name, const char* overload) {
    const auto op = torch::jit::findOperatorFor(c10::OperatorName(name, overload));
    if (!op) throw core::WorkError(fmt::format("ai.infer: this libtorch has no operator {}.{}", name, overload));
    return op->getOperation();
  }
  mutable torch::jit::Operation operation_;
};

// Affine uint8 parameters covering [lo, hi] (with 0 inside, as PyTorch's MinMaxObserver does).
struct QParams {
  double scale = 1;
  std::int64_t zero_point = 0;
};
QParams uint8_params(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QParams q;
  q.scale = std::max((hi - lo) / 255.0, 1e-8);
  q.zero_point = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::lround(-lo / q.scale)), 0, 255);
  return q;
}
QParams range_of(const torch::Tensor& t) { return uint8_params(t.min().item<double>(), t.max().item<double>()); }

// Symmetric per-tensor int8 weights (zero point 0).
torch::Tensor quantize_weight(const torch::Tensor& w) {
  const double scale = std::max(w.abs().max().item<double>() / 127.0, 1e-12);
  return torch::quantize_per_tensor(w.contiguous(), scale, 0, torch::kQInt8);
}

torch::Tensor pool2(const torch::Tensor& x) { return torch::max_pool2d(x, {2, 2}, {2, 2}, {0, 0}, {1, 1}); }

struct QuantizedCnn {
  QParams input, conv1, conv2, fc1, logits;
  c10::IValue conv1_w, conv2_w, fc1_w, fc2_w;  // prepacked weights (QNNPACK)
  QuantizedOp conv_relu{"quantized::conv2d_relu", "new"}, linear_relu{"quantized::linear_relu", ""},
      linear{"quantized::linear", ""};

  // qx: the input quantised with `input`; returns float logits.
  torch::Tensor forward(const torch::Tensor& qx) const {
    torch::Tensor h = conv_relu({qx, conv1_w, conv1.scale, conv1.zero_point}).toTensor();
    h = conv_relu({pool2(h), conv2_w, conv2.scale, conv2.zero_point}).toTensor();
    h = linear_relu({pool2(h).flatten(1), fc1_w, fc1.scale, fc1.zero_point}).toTensor();
    return linear({h, fc2_w, logits.scale, logits.zero_point}).toTensor().dequantize();
  }
};

// The FP32 network layer by layer (it must mirror FashionCnnImpl::forward; calibrate checks that it does).
struct Activations {
  torch::Tensor conv1, conv2, fc1, logits;
};
Activations fp32_layers(ai::FashionCnn& m, const torch::Tensor& x) {
  Activations a;
  a.conv1 = torch::relu(m->conv1->forward(x));
  a.conv2 = torch::relu(m->conv2->forward(pool2(a.conv1)));
  a.fc1 = torch::relu(m->fc1->forward(pool2(a.conv2).flatten(1)));
  a.logits = m->fc2->forward(a.fc1);
  return a;
}

QuantizedCnn quantize(ai::FashionCnn& m, const torch::Tensor& calibration, std::string& mirror_error) {
  const Activations a = fp32_layers(m, calibration);
  const double drift = (a.logits - m->forward(calibration)).abs().max().item<double>();
  const double size = std::max(1.0, a.logits.abs().max().item<double>());
  if (!(drift <= 1e-4 * size))
    mirror_error = fmt::format("the INT8 network no longer mirrors FashionCnnImpl::forward (logits differ by {:.3g})", drift);
  QuantizedCnn q;
  q.input = range_of(calibration);
  q.conv1 = range_of(a.conv1);
  q.conv2 = range_of(a.conv2);
  q.fc1 = range_of(a.fc1);
  q.logits = range_of(a.logits);
  const QuantizedOp conv_prepack("quantized::conv2d_prepack", ""), linear_prepack("quantized::linear_prepack", "");
  auto conv = [&](const torch::nn::Conv2d& c) {
    const auto pad = c->options.padding();
    const auto* p = c10::get_if<torch::ExpandingArray<2>>(&pad);
    if (!p) throw core::WorkError("ai.infer: INT8 needs the convolutions' padding as numbers");
    auto list = [](const torch::ExpandingArray<2>& e) { return c10::List<std::int64_t>({e->at(0), e->at(1)}); };
    return conv_prepack({quantize_weight(c->weight), c10::optional<torch::Tensor>(c->bias), list(c->options.stride()),
                         list(*p), list(c->options.dilation()), c->options.groups()});
  };
  auto linear = [&](const torch::nn::Linear& l) {
    return linear_prepack({quantize_weight(l->weight), c10::optional<torch::Tensor>(l->bias)});
  };
  q.conv1_w = conv(m->conv1);
  q.conv2_w = conv(m->conv2);
  q.fc1_w = linear(m->fc1);
  q.fc2_w = linear(m->fc2);
  return q;
}

// ---- Single-stream scenario ----------------------------------------------------------------------------------

Measurement run_single_stream(const Context& ctx, ai::FashionCnn& model, const torch::Tensor& x,
                              const torch::Tensor& y, const Sizes& sizes, double flop_per_sample) {
  const std::int64_t n = x.size(0);
  std::int64_t correct = 0;
  auto query = [&](std::int64_t k) { return model->forward(x.slice(0, k, k + 1)).argmax(1).item<std::int64_t>(); };
  for (int i = 0; i < sizes.single_stream_warmups; ++i) static_cast<void>(query(i % n));
  std::vector<double> latencies_s;
  latencies_s.reserve(static_cast<std::size_t>(sizes.queries));
  const std::string step = fmt::format("single-stream fp32, {} queries", sizes.queries);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < sizes.queries; ++i) {
    if (ctx.cancelled()) throw Cancelled{};
    if (i % 100 == 0) ctx.report({kId, step, i, sizes.queries, util::since(start), 0});
    // One query: the image in, the predicted class out (the argmax read back as a number).
    const std::int64_t k = i % n;
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t predicted = query(k);
    latencies_s.push_back(util::since(t0));
    correct += predicted == y[k].item<std::int64_t>() ? 1 : 0;
  }
  Measurement m;
  m.id = "single_stream_fp32";
  m.unit = "s";
  m.precision = "fp32";
  m.higher_is_better = false;
  m.samples = latencies_s;
  m.stats = statistics(m.samples);
  std::vector<double> sorted = latencies_s;
  std::sort(sorted.begin(), sorted.end());
  m.details = {{"scenario", "SingleStream (MLPerf): batch 1, each query issued when the previous one has answered"},
               {"queries", sizes.queries},
               {"warmup_queries", sizes.single_stream_warmups},
               {"p50_s", nearest_rank(sorted, 0.50)},
               {"p90_s", nearest_rank(sorted, 0.90)},
               {"p99_s", nearest_rank(sorted, 0.99)},
               {"percentile_definition", "nearest rank: the ⌈p·n⌉-th smallest of the n latencies"},
               {"query_accuracy", static_cast<double>(correct) / static_cast<double>(sizes.queries)},
               {"images", fmt::format("test images 0…{} in order, wrapping", sizes.queries - 1)},
               {"flop_per_query", flop_per_sample},
               {"latency", "forward of one image + argmax read back, steady clock"}};
  return m;
}

// ---- Transformer encoder block -------------------------------------------------------------------------------

struct EncoderOutcome {
  Measurement measurement;
  Check check;
};

EncoderOutcome run_encoder(const Context& ctx, const Sizes& sizes, double share_s) {
  const EncoderShape shape;
  torch::manual_seed(kEncoderSeed);
  torch::nn::TransformerEncoderLayer layer(torch::nn::TransformerEncoderLayerOptions(shape.d_model, shape.heads)
                                               .dim_feedforward(shape.feed_forward)
                                               .dropout(0.1));
  layer->eval();  // dropout off
  // libtorch's encoder layer takes [sequence, batch, d_model].
  const torch::Tensor src = torch::randn({shape.sequence, sizes.encoder_batch, shape.d_model});
  torch::Tensor out;
  auto body = [&] { out = layer->forward(src); };
  const std::string step = fmt::format("encoder d={} T={} batch {}", shape.d_model, shape.sequence, sizes.encoder_batch);
  const auto plan = compute::plan_for(ctx);
  double one = 0;
  for (int w = 0; w < plan.warmups; ++w) one = compute::warm_up(ctx, kId, step, body);
  const int reps = compute::repetitions_within(plan, share_s - one * plan.warmups, one);
  const auto durations = time_repetitions(ctx, kId, step, 0, reps, body, one * reps);

  const FlopCount flops = count_encoder(shape);
  const double per_sequence = flops.forward();
  const auto batch = static_cast<double>(sizes.encoder_batch);
  Measurement m;
  m.id = "encoder_fp32";
  m.precision = "fp32";
  m.unit = "FLOP/s";
  m.work = per_sequence * batch;
  m.work_unit = "FLOP";
  m.samples = rates(*m.work, durations);
  m.stats = statistics(m.samples);
  attach_peak(ctx, m);
  const auto sequences_per_s = rates(batch, durations);
  const auto tokens_per_s = rates(batch * shape.sequence, durations);
  const bool finite = out.defined() && torch::isfinite(out).all().item<bool>() &&
                      out.sizes() == src.sizes();
  m.details = {{"workload", "torch::nn::TransformerEncoderLayer (post-norm, ReLU), random weights, eval, no grad"},
               {"seed", kEncoderSeed},
               {"d_model", shape.d_model},
               {"heads", shape.heads},
               {"feed_forward", shape.feed_forward},
               {"sequence", shape.sequence},
               {"batch_sequences", sizes.encoder_batch},
               {"flop_per_sequence", per_sequence},
               {"parameters", parameter_count(*layer)},
               {"sequences_per_s", sequences_per_s},
               {"tokens_per_s", tokens_per_s},
               {"sequences_per_s_median", statistics(sequences_per_s).median},
               {"tokens_per_s_median", statistics(tokens_per_s).median},
               {"warmup_s", one}};
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : flops.layers)
    if (l.forward > 0) layers.push_back({{"name", l.name}, {"shape", l.shape}, {"flop", l.forward}});
  m.details["flop_layers"] = layers;
  return {std::move(m), {"encoder_output", finite,
                         finite ? "encoder output finite, shape [T, batch, d_model]"
                                : "encoder output has non-finite values or a wrong shape"}};
}

// ---- The probe -----------------------------------------------------------------------------------------------

ProbeResult run(const Context& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = kId;
  r.started = util::iso_now();
  const Sizes sizes = sizes_for(ctx);
  r.requested = {{"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny},         {"threads", ctx.threads},
                 {"budget_s", ctx.budget_s},       {"batch", kOfflineBatch},  {"queries", sizes.queries},
                 {"encoder_batch", sizes.encoder_batch}};
  const TorchThreads threads(ctx.threads);

  std::shared_ptr<const ai::Data> data;
  try {
    data = ai::fashion_mnist();
  } catch (const core::InputError& e) {
    r.status = Status::skipped;
    r.reason = e.what();
    r.duration_s = util::since(t0);
    return r;
  }

  // The model: ai.train's, when it ran in this process; otherwise trained here with the default settings.
  std::shared_ptr<const ai::TrainedModel> trained = ai::last_trained();
  nlohmann::json source;
  if (trained && trained->model) {
    source = {{"trained_here", false}, {"from", "ai.train in this process"}};
  } else {
    ai::TrainSettings settings;
    settings.threads = ctx.threads;
    // ai.train's budget rule: the probe's budget, but never less than 120 s (300 s in the full suite).
    settings.budget_s = std::max(ctx.budget_s, ctx.suite == Suite::full ? 300.0 : 120.0);
    ai::Trainer trainer(settings, data);
    const auto start = std::chrono::steady_clock::now();
    auto m = std::make_shared<ai::TrainedModel>();
    m->outcome = ai::train_to_target(trainer, ctx);
    m->settings = settings;
    m->model = trainer.model();
    trained = m;
    source = {{"trained_here", true}, {"train_seconds", util::since(start)}};
  }
  // Inference from here on: no autograd graph (training above needs one).
  const torch::NoGradGuard no_grad;
  const ai::TrainOutcome& outcome = trained->outcome;
  source["reached_target"] = outcome.reached;
  source["target_accuracy"] = trained->settings.target_accuracy;
  source["training_accuracy"] = outcome.accuracy;
  source["training_steps"] = outcome.steps;
  r.checks.push_back({"reference_model", outcome.reached,
                      fmt::format("the CNN {} the target: test accuracy {:.2f}% {} {:.2f}% after {} steps",
                                  outcome.reached ? "reached" : "did not reach", 100 * outcome.accuracy,
                                  outcome.reached ? "≥" : "<", 100 * trained->settings.target_accuracy, outcome.steps)});

  ai::FashionCnn fp32 = copy_of(trained->model);
  const FlopCount flops = count_cnn(fp32->shape);
  const double flop_per_sample = flops.forward();
  const double parameters = parameter_count(*fp32);
  const std::int64_t images = data->test_x.size(0);
  const double budget = std::max(ctx.budget_s, 0.0);
  const std::string framework = fmt::format("libtorch {} (CPU)", TORCH_VERSION);
  nlohmann::json flop_layers = nlohmann::json::array();
  for (const auto& l : flops.layers) flop_layers.push_back({{"name", l.name}, {"shape", l.shape}, {"flop", l.forward}});

  nlohmann::json not_measured = nlohmann::json::object();
  std::vector<std::string> errors;
  // One part failing (a library error, memory) leaves the others standing; Cancelled passes through.
  auto part = [&](const char* id, const std::function<void()>& body) {
    try {
      body();
    } catch (const std::bad_alloc&) {
      errors.push_back(std::string(id) + ": out of memory");
      not_measured[id] = errors.back();
    } catch (const c10::Error& e) {
      errors.push_back(std::string(id) + ": libtorch error: " + first_line(e.what_without_backtrace()));
      not_measured[id] = errors.back();
    } catch (const core::WorkError& e) {
      errors.push_back(std::string(id) + ": " + e.what());
      not_measured[id] = errors.back();
    }
  };
  auto base_details = [&] {
    return nlohmann::json{{"framework", framework}, {"threads", torch::get_num_threads()}, {"model_source", source},
                          {"flop_layers", flop_layers}};
  };

  double fp32_accuracy = 0;
  bool have_fp32 = false;
  part("offline_fp32", [&] {
    const OfflineRun run = run_offline(
        ctx, "offline fp32", [&](const torch::Tensor& x) { return fp32->forward(x); }, data->test_x, data->test_y,
        0.30 * budget);
    fp32_accuracy = run.accuracy;
    have_fp32 = true;
    auto details = base_details();
    details["inputs"] = "float32";
    r.measurements.push_back(offline_measurement(ctx, "offline_fp32", "fp32", flop_per_sample, parameters, images, run,
                                                 run.accuracy, details));
  });

  part("single_stream_fp32", [&] {
    r.measurements.push_back(run_single_stream(ctx, fp32, data->test_x, data->test_y, sizes, flop_per_sample));
  });

  if (have_fp32) {
    part("offline_bf16", [&] {
      ai::FashionCnn bf16 = copy_of(trained->model);
      bf16->to(torch::kBFloat16);
      const torch::Tensor x = data->test_x.to(torch::kBFloat16);
      const OfflineRun run = run_offline(
          ctx, "offline bf16", [&](const torch::Tensor& b) { return bf16->forward(b); }, x, data->test_y,
          0.15 * budget);
      auto details = base_details();
      details["inputs"] = "bfloat16, converted before timing";
      details["weights"] = "bfloat16 (the FP32 weights rounded)";
      details["mkldnn_enabled"] = at::globalContext().userEnabledMkldnn();
      Measurement m = offline_measurement(ctx, "offline_bf16", "bf16", flop_per_sample, parameters, images, run,
                                          fp32_accuracy, details);
      r.checks.push_back(retention_check(m, "BF16", run.accuracy, fp32_accuracy));
      r.measurements.push_back(std::move(m));
    });

    part("offline_int8", [&] {
      const auto engines = at::globalContext().supportedQEngines();
      if (std::find(engines.begin(), engines.end(), at::QEngine::QNNPACK) == engines.end()) {
        not_measured["offline_int8"] = "this libtorch has no QNNPACK quantised engine";
        return;
      }
      const QEngineGuard engine(at::QEngine::QNNPACK);
      std::string mirror_error;
      const QuantizedCnn q = quantize(fp32, data->train_x.slice(0, 0, kCalibrationImages), mirror_error);
      if (!mirror_error.empty()) {
        not_measured["offline_int8"] = mirror_error;
        return;
      }
      const torch::Tensor x =
          torch::quantize_per_tensor(data->test_x, q.input.scale, q.input.zero_point, torch::kQUInt8);
      const OfflineRun run = run_offline(
          ctx, "offline int8", [&](const torch::Tensor& b) { return q.forward(b); }, x, data->test_y, 0.15 * budget);
      auto details = base_details();
      details["quantisation"] =
          "post-training static: int8 weights (symmetric, per tensor), uint8 activations (affine, min/max of " +
          std::to_string(kCalibrationImages) + " training images), float bias, QNNPACK";
      details["inputs"] = "uint8, quantised before timing";
      details["engine"] = "QNNPACK";
      details["note"] = "FLOP are integer operations (multiply-adds × 2) of the same count as FP32";
      Measurement m = offline_measurement(ctx, "offline_int8", "int8", flop_per_sample, parameters, images, run,
                                          fp32_accuracy, details);
      r.checks.push_back(retention_check(m, "INT8", run.accuracy, fp32_accuracy));
      r.measurements.push_back(std::move(m));
    });
  }

  part("encoder_fp32", [&] {
    EncoderOutcome e = run_encoder(ctx, sizes, 0.10 * budget);
    e.measurement.details["framework"] = framework;
    e.measurement.details["threads"] = torch::get_num_threads();
    r.measurements.push_back(std::move(e.measurement));
    r.checks.push_back(std::move(e.check));
  });

  std::string failed;
  for (const auto& c : r.checks)
    if (!c.passed) failed += (failed.empty() ? "" : "; ") + c.detail;
  if (r.measurements.empty() && !errors.empty()) {
    r.status = Status::failed;
    for (const auto& e : errors) r.reason += (r.reason.empty() ? "" : "; ") + e;
  } else if (!failed.empty()) {
    r.status = Status::invalid;
    r.reason = failed;
  }
  r.effective = {{"threads", torch::get_num_threads()},
                 {"framework", framework},
                 {"images", images},
                 {"batch", kOfflineBatch},
                 {"queries", sizes.queries},
                 {"encoder_batch", sizes.encoder_batch},
                 {"dataset", data->dir},
                 {"model_source", source}};
  if (!not_measured.empty()) r.effective["not_measured"] = not_measured;
  r.duration_s = util::since(t0);
  return r;
}

}  // namespace

Probe ai_infer_probe() {
  Probe p;
  p.id = kId;
  p.title = "inference of the trained CNN and a transformer encoder block (libtorch)";
  p.measures =
      "offline samples/s and FLOP/s (FP32, BF16, INT8), single-stream latency p50/p90/p99, accuracy, retention, MFU";
  p.precisions = "fp32, bf16, int8";
  p.feeds = "ie.model_compute, ce.measured";
  // With ai.train's model (it runs first); training here adds 20–40 s.
  p.typical_s = {{Suite::standard, 45}, {Suite::full, 150}};
  p.run = run;
  return p;
}

}  // namespace aicq::probe
